import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { GatewayDeps } from './deps.js';
import { registerAuditLog } from './plugins/audit.js';
import { registerAuth } from './plugins/auth.js';
import { refuseUnknownQueryParameters } from './plugins/closed-query.js';
import { auditRoutes } from './routes/audit.routes.js';
import { clusterRoutes } from './routes/clusters.routes.js';
import { identityRoutes } from './routes/identity.routes.js';
import { imAppRoutes } from './routes/im-apps.routes.js';
import { httpServerOptions, registerErrorHandler, rejectUnstorableInput, strictJsonParser } from '@stagecoach/http';
import { approvalPageRoutes } from './routes/approval-page.routes.js';
import { logRoutes } from './routes/logs.routes.js';
import { memberRoutes } from './routes/members.routes.js';
import { notificationRoutes } from './routes/notifications.routes.js';
import { projectRoutes } from './routes/projects.routes.js';
import { runRoutes } from './routes/runs.routes.js';
import { triggerRoutes } from './routes/triggers.routes.js';
import { userGroupRoutes } from './routes/user-groups.routes.js';
import { viewRoutes } from './routes/views.routes.js';
import { workflowRoutes } from './routes/workflows.routes.js';
import { openapiRoutes } from './openapi/index.js';
import { buildValidator } from './body-validation.js';

/** The request body limit: workflow definitions are the largest thing we accept. */
const BODY_LIMIT_BYTES = 1024 * 1024;

/** Builds the gateway without listening, so tests drive it with `inject` and main.ts with `listen`. */
export async function buildApp(deps: GatewayDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT_BYTES,
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false, allErrors: true } },
    schemaController: { compilersFactory: { buildValidator } },
    ...httpServerOptions,
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.addContentTypeParser('application/json', { parseAs: 'string' }, strictJsonParser(app));
  // Workflow definitions may come as YAML; the route parses them so YAML errors carry line numbers.
  app.addContentTypeParser(
    ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml', 'text/plain'],
    { parseAs: 'string' },
    (_req, body, done) => done(null, body),
  );

  registerErrorHandler(app);
  rejectUnstorableInput(app);
  registerAuth(app, { db: deps.db, adminToken: deps.adminToken });
  registerAuditLog(app, deps.db);

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Stagecoach API',
        version: '1',
        description: 'Durable CI/CD workflows (Zadig custom workflow v4) on Temporal.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.get('/healthz', { schema: { hide: true } }, async () => ({ ok: true }));
  await app.register(approvalPageRoutes, { deps });
  await app.register(
    async (api) => {
      refuseUnknownQueryParameters(api);
      await api.register(projectRoutes, { deps });
      await api.register(workflowRoutes, { deps });
      await api.register(runRoutes, { deps });
      await api.register(logRoutes, { deps });
      await api.register(triggerRoutes, { deps });
      await api.register(notificationRoutes, { deps });
      await api.register(viewRoutes, { deps });
      await api.register(auditRoutes, { deps });
      await api.register(clusterRoutes, { deps });
      await api.register(imAppRoutes, { deps });
      await api.register(identityRoutes, { deps });
      await api.register(userGroupRoutes, { deps });
      await api.register(memberRoutes, { deps });
    },
    { prefix: '/api/v1' },
  );
  await app.register(openapiRoutes, { prefix: '/openapi', deps });
  await app.ready();
  return app as unknown as FastifyInstance;
}
