import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import type { NatsConnection } from 'nats';
import type { FastifyInstance } from 'fastify';
import { createDb, type DbHandle } from '@stagecoach/db';
import { createTestDatabase, type TestDatabase } from '@stagecoach/db/testing';
import {
  connectNats,
  ensureStreams,
  prefixedStreamNames,
  startProjector,
  type Projector,
  type StreamNames,
} from '@stagecoach/events';
import type { Mailer } from '@stagecoach/notify';
import { createLogger, SecretBox } from '@stagecoach/platform';
import { buildApp, buildGrpcServer, type GatewayDeps, type GrpcServer } from '@stagecoach/gateway';
import { buildTriggerApp } from '@stagecoach/trigger';
import { createWorker } from '@stagecoach/worker';

export const ADMIN_TOKEN = 'test-admin-token';
const REPO_ROOT = resolve(import.meta.dirname, '../../..');
export const SECRET_KEY = 'test-secret-key';

function env(key: string): string {
  const value = process.env[key];
  if (!value) throw new Error(`${key} is not set: run through \`npm test\` or the vitest globalSetup`);
  return value;
}

/** The SDK logs every worker state change at INFO; tests want errors only. The runtime is per process. */
function quietTemporalRuntime(): void {
  try {
    Runtime.install({ logger: new DefaultLogger(process.env.TEMPORAL_LOG_LEVEL === 'DEBUG' ? 'DEBUG' : 'ERROR') });
  } catch {
    // already installed in this process
  }
}

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  text: string;
}

/**
 * The whole engine in this process against the real servers: gateway (driven with inject), a worker
 * on its own task queue, the projector, a fresh database and stream names of its own.
 */
export class Engine {
  private constructor(
    readonly id: string,
    readonly database: TestDatabase,
    readonly dbHandle: DbHandle,
    readonly nc: NatsConnection,
    readonly names: StreamNames,
    readonly temporal: Client,
    readonly taskQueue: string,
    readonly workspaceRoot: string,
    readonly app: FastifyInstance,
    /** the trigger service (webhook ingress), driven with inject like the gateway */
    readonly hooks: FastifyInstance,
    private readonly clientConnection: Connection,
    /** absent when the projector runs in a spawned notifier service instead */
    private readonly projector: Projector | undefined,
    private nativeConnection: NativeConnection | undefined,
    private worker: Worker | undefined,
    private workerRun: Promise<void> | undefined,
  ) {}

  /** SMTP the in-process worker's `notification` jobs use */
  private mailer: Mailer | undefined;
  /** what the gateway was built with (the gRPC server takes the same) */
  private gatewayDeps!: GatewayDeps;
  private grpc: GrpcServer | undefined;

  /**
   * `inProcessWorker: false` leaves the worker to a spawned service (spawnService('worker')), and
   * `inProcessProjector: false` the projector (spawnService('notifier'), which runs it as deployed).
   */
  static async start(
    options: { inProcessWorker?: boolean; inProcessProjector?: boolean; mailer?: Mailer } = {},
  ): Promise<Engine> {
    quietTemporalRuntime();
    const id = randomBytes(4).toString('hex');
    const database = await createTestDatabase(env('DATABASE_URL'));
    const dbHandle = createDb(database.url);
    const nc = await connectNats(env('NATS_URL'), { reconnectTimeWait: 100 });
    const names = prefixedStreamNames(`t${id}`);
    await ensureStreams(await nc.jetstreamManager(), { names });
    const js = nc.jetstream();
    const clientConnection = await Connection.connect({ address: env('TEMPORAL_ADDRESS') });
    const temporal = new Client({ connection: clientConnection });
    const taskQueue = `test-${id}`;
    const workspaceRoot = mkdtempSync(join(tmpdir(), 'sc-ws-'));
    const logger = createLogger({ name: 'test', level: process.env.LOG_LEVEL ?? 'silent' });
    const box = new SecretBox(SECRET_KEY);
    const projector =
      options.inProcessProjector === false
        ? undefined
        : await startProjector({ nc, db: dbHandle.db, durableName: 'projector', logger, names });
    const gatewayDeps: GatewayDeps = {
      db: dbHandle.db,
      temporal,
      js,
      box,
      logger,
      adminToken: ADMIN_TOKEN,
      publicUrl: 'http://stagecoach.test',
      hooksUrl: 'http://hooks.stagecoach.test',
      taskQueue,
      names,
    };
    const app = await buildApp(gatewayDeps);
    const hooks = await buildTriggerApp({
      db: dbHandle.db,
      temporal,
      box,
      logger,
      publicUrl: 'http://stagecoach.test',
      taskQueue,
    });
    const engine = new Engine(
      id,
      database,
      dbHandle,
      nc,
      names,
      temporal,
      taskQueue,
      workspaceRoot,
      app,
      hooks,
      clientConnection,
      projector,
      undefined,
      undefined,
      undefined,
    );
    engine.mailer = options.mailer;
    engine.gatewayDeps = gatewayDeps;
    if (options.inProcessWorker !== false) await engine.startWorker();
    return engine;
  }

  async startWorker(): Promise<void> {
    this.nativeConnection = await NativeConnection.connect({ address: env('TEMPORAL_ADDRESS') });
    const bundlePath = process.env.STAGECOACH_TEST_WORKFLOW_BUNDLE;
    this.worker = await createWorker({
      connection: this.nativeConnection,
      namespace: 'default',
      temporal: this.temporal,
      db: this.dbHandle.db,
      js: this.nc.jetstream(),
      box: new SecretBox(SECRET_KEY),
      workspaceRoot: this.workspaceRoot,
      taskQueue: this.taskQueue,
      names: this.names,
      publicUrl: 'http://stagecoach.test',
      mailer: this.mailer,
      ...(bundlePath ? { workflowBundle: { codePath: bundlePath } } : {}),
    });
    this.workerRun = this.worker.run();
  }

  async stopWorker(): Promise<void> {
    if (!this.worker) return;
    this.worker.shutdown();
    await this.workerRun;
    await this.nativeConnection?.close();
    this.worker = undefined;
  }

  /**
   * A service (services/<name>/src/main.ts) as its own process on this engine's database, task
   * queue, streams and servers, as deployed; `env` adds or overrides settings.
   */
  spawnService(name: 'worker' | 'trigger' | 'notifier', env: Record<string, string> = {}): ChildProcess {
    return this.spawnScript(join(REPO_ROOT, 'services', name, 'src', 'main.ts'), env);
  }

  /** Any TypeScript entry point (a benchmark's own worker, say) as its own process, like spawnService. */
  spawnScript(path: string, env: Record<string, string> = {}): ChildProcess {
    return spawn(process.execPath, ['--import', 'tsx', path], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...this.workerProcessEnv(), ...env },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }

  /** Environment for a worker started as its own process (services/worker/src/main.ts). */
  workerProcessEnv(): Record<string, string> {
    return {
      DATABASE_URL: this.database.url,
      TEMPORAL_ADDRESS: env('TEMPORAL_ADDRESS'),
      NATS_URL: env('NATS_URL'),
      STAGECOACH_TASK_QUEUE: this.taskQueue,
      STAGECOACH_STREAM_PREFIX: `t${this.id}`,
      STAGECOACH_SECRET_KEY: SECRET_KEY,
      STAGECOACH_WORKSPACE_ROOT: this.workspaceRoot,
      LOG_LEVEL: 'warn',
    };
  }

  async api<T = any>(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    body?: unknown,
    options: { user?: string; contentType?: string; token?: string | null } = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = {};
    if (options.token !== null) headers.authorization = `Bearer ${options.token ?? ADMIN_TOKEN}`;
    if (options.user !== undefined || method !== 'GET') headers['x-user'] = options.user ?? 'alice';
    let payload: string | undefined;
    if (body !== undefined) {
      headers['content-type'] = options.contentType ?? 'application/json';
      payload = typeof body === 'string' ? body : JSON.stringify(body);
    }
    return toApiResponse(await this.app.inject({ method, url, headers, payload }));
  }

  /** Sends a delivery to the trigger service as a provider would: the exact body bytes and headers. */
  async deliver(path: string, body: string | Buffer, headers: Record<string, string>): Promise<ApiResponse> {
    return toApiResponse(
      await this.hooks.inject({
        method: 'POST',
        url: path,
        headers: { 'content-type': 'application/json', ...headers },
        payload: body,
      }),
    );
  }

  /** Creates a project (once) and saves the workflow definition in it. */
  async defineWorkflow(definition: { name: string; project: string } & Record<string, unknown>): Promise<void> {
    const project = await this.api('POST', '/api/v1/projects', { name: definition.project });
    if (project.status !== 201 && project.status !== 409) throw new Error(`project: ${project.status} ${project.text}`);
    const saved = await this.api(
      'PUT',
      `/api/v1/projects/${definition.project}/workflows/${definition.name}`,
      definition,
    );
    if (saved.status >= 300) throw new Error(`workflow: ${saved.status} ${saved.text}`);
  }

  async startRun(
    project: string,
    workflow: string,
    body: Record<string, unknown> = {},
    user = 'alice',
  ): Promise<number> {
    const res = await this.api('POST', `/api/v1/projects/${project}/workflows/${workflow}/runs`, body, { user });
    if (res.status !== 201) throw new Error(`start run: ${res.status} ${res.text}`);
    return res.body.run_number as number;
  }

  async getRun(project: string, workflow: string, runNumber: number): Promise<any> {
    const res = await this.api('GET', `/api/v1/projects/${project}/workflows/${workflow}/runs/${runNumber}`);
    if (res.status !== 200) throw new Error(`get run: ${res.status} ${res.text}`);
    return res.body;
  }

  /** Polls the projected run (PostgreSQL, through the gateway) until `done` holds. */
  async waitForRun(
    project: string,
    workflow: string,
    runNumber: number,
    done: (run: any) => boolean,
    timeoutMs = 60_000,
  ): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    let run: any;
    while (Date.now() < deadline) {
      run = await this.getRun(project, workflow, runNumber);
      if (done(run)) return run;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(
      `run ${project}/${workflow}/${runNumber} did not reach the expected state; last: ${JSON.stringify(run)}`,
    );
  }

  waitForStatus(
    project: string,
    workflow: string,
    runNumber: number,
    status: string | string[],
    timeoutMs?: number,
  ): Promise<any> {
    const wanted = Array.isArray(status) ? status : [status];
    return this.waitForRun(project, workflow, runNumber, (run) => wanted.includes(run.status), timeoutMs);
  }

  /**
   * The gateway's gRPC API (HTTP/2 without TLS) on a free loopback port, on the same dependencies
   * as `app`; returns its `host:port`. Closed by stop().
   */
  async startGrpc(): Promise<string> {
    if (this.grpc) throw new Error('the gRPC server is already started');
    this.grpc = await buildGrpcServer(this.gatewayDeps);
    await this.grpc.listen({ host: '127.0.0.1', port: 0 });
    const address = this.grpc.server.address();
    if (!address || typeof address === 'string') throw new Error('the gRPC server has no TCP address');
    return `127.0.0.1:${address.port}`;
  }

  /** Closes the gRPC server as the gateway does on shutdown; startGrpc() opens a new one. */
  async stopGrpc(): Promise<void> {
    const grpc = this.grpc;
    this.grpc = undefined;
    await grpc?.close();
  }

  async stop(): Promise<void> {
    await this.stopWorker();
    await this.projector?.stop();
    await this.stopGrpc();
    await this.app.close();
    await this.hooks.close();
    await this.nc.drain();
    await this.clientConnection.close();
    await this.dbHandle.close();
    await this.database.drop();
    rmSync(this.workspaceRoot, { recursive: true, force: true });
  }
}

function toApiResponse(res: { statusCode: number; body: string; json(): any }): ApiResponse {
  let parsed: any = undefined;
  try {
    parsed = res.json();
  } catch {
    parsed = undefined;
  }
  return { status: res.statusCode, body: parsed, text: res.body };
}

export function job(run: any, name: string): any {
  for (const stage of run.stages) for (const j of stage.jobs) if (j.name === name) return j;
  throw new Error(`no job ${name} in run`);
}
