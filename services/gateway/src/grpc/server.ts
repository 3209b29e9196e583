import type { Http2Server } from 'node:http2';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { createContextValues } from '@connectrpc/connect';
import { fastifyConnectPlugin } from '@connectrpc/connect-fastify';
import { RunService, WorkflowService } from '@stagecoach/proto';
import type { GatewayDeps } from '../deps.js';
import { timesGiven } from '../access/authenticate.js';
import { accessInterceptor, X_USER_TIMES } from './access.js';
import { errorInterceptor } from './errors.js';
import { runService } from './run-service.js';
import { unstorableInputInterceptor } from './validate.js';
import { workflowService } from './workflow-service.js';

export type GrpcServer = FastifyInstance<Http2Server>;

/** Calls still running this long after close() began are aborted (watches end at once). */
const SHUTDOWN_GRACE_MS = 5_000;

/**
 * The gRPC API (proto/stagecoach/v1): WorkflowService and RunService on a Fastify instance of its
 * own, HTTP/2 without TLS (h2c), which gRPC needs and the REST app (HTTP/1.1) does not speak. The
 * Connect and gRPC-Web protocols are served on the same port. Built without listening, like
 * buildApp: main.ts listens on GATEWAY_GRPC_PORT, tests on port 0.
 */
export async function buildGrpcServer(deps: GatewayDeps): Promise<GrpcServer> {
  const server = Fastify({
    http2: true,
    loggerInstance: deps.logger as FastifyBaseLogger,
    // Close the clients' HTTP/2 sessions on close() (GOAWAY once their calls are done): an idle
    // client connection would otherwise hold close() up until the session timeout (Node < 24).
    forceCloseConnections: true,
  });
  const closing = new AbortController();
  server.addHook('preClose', async () => closing.abort());
  await server.register(fastifyConnectPlugin, {
    routes: (router) => {
      router.service(WorkflowService, workflowService(deps));
      router.service(RunService, runService(deps, closing.signal));
    },
    // The first interceptor is the outermost: it also maps the others' refusals. A NUL is refused
    // before the access check looks the project up.
    interceptors: [
      errorInterceptor(deps.logger),
      unstorableInputInterceptor,
      accessInterceptor({ db: deps.db, adminToken: deps.adminToken }),
    ],
    contextValues: (request) => createContextValues().set(X_USER_TIMES, timesGiven(request.raw.rawHeaders, 'x-user')),
    shutdownTimeoutMs: SHUTDOWN_GRACE_MS,
    // A misspelt field in a JSON request is refused, as REST refuses it, rather than silently dropped.
    jsonOptions: { ignoreUnknownFields: false },
  });
  await server.ready();
  return server as unknown as GrpcServer;
}
