import { Client, Connection } from '@temporalio/client';
import { createDb } from '@stagecoach/db';
import { connectNats, ensureStreams, streamNamesFor } from '@stagecoach/events';
import { listenOrExit } from '@stagecoach/http';
import { commonSettings, createLogger, int, loadConfig, SecretBox, str } from '@stagecoach/platform';
import { buildApp } from './app.js';
import { bootstrapAdmin } from './bootstrap-admin.js';
import type { GatewayDeps } from './deps.js';
import { buildGrpcServer } from './grpc/server.js';

const config = loadConfig({
  ...commonSettings,
  host: str('GATEWAY_HOST', 'address the gateway listens on', '127.0.0.1'),
  port: int('GATEWAY_PORT', 'port the gateway listens on', 8080),
  grpcPort: int('GATEWAY_GRPC_PORT', 'port the gRPC API listens on (HTTP/2 without TLS, same host)', 8083),
  adminToken: str('STAGECOACH_ADMIN_TOKEN', 'token mutating API calls must present (Authorization: Bearer)'),
  adminUser: str('STAGECOACH_ADMIN_USER', 'system admin created on the first start (with the password below)', ''),
  adminPassword: str('STAGECOACH_ADMIN_PASSWORD', 'password of that first system admin', ''),
  publicUrl: str('STAGECOACH_PUBLIC_URL', 'base URL people reach the gateway at (links)', 'http://127.0.0.1:8080'),
  hooksUrl: str(
    'STAGECOACH_HOOKS_URL',
    'base URL webhook senders reach the trigger service at',
    'http://127.0.0.1:8081',
  ),
});
const logger = createLogger({ name: 'gateway' });
const connection = await Connection.connect({ address: config.temporalAddress });
const temporal = new Client({ connection, namespace: config.temporalNamespace });
const nc = await connectNats(config.natsUrl, { name: 'stagecoach-gateway' });
const names = streamNamesFor(config.streamPrefix);
await ensureStreams(await nc.jetstreamManager(), { names });
const { db, close: closeDb } = createDb(config.databaseUrl);
await bootstrapAdmin(db, { username: config.adminUser, password: config.adminPassword }, logger);

const deps: GatewayDeps = {
  db,
  temporal,
  js: nc.jetstream(),
  box: new SecretBox(config.secretKey),
  logger,
  adminToken: config.adminToken,
  publicUrl: config.publicUrl,
  hooksUrl: config.hooksUrl,
  taskQueue: config.taskQueue,
  names,
};
const app = await buildApp(deps);
const grpc = await buildGrpcServer(deps);
// Stop taking requests first, then close what they used.
async function shutdown(signal: string): Promise<void> {
  logger.info({ signal }, 'shutting down');
  await Promise.all([app.close(), grpc.close()]);
  await nc.drain();
  await connection.close();
  await closeDb();
  process.exit(0);
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void shutdown(signal));
await listenOrExit(app, { host: config.host, port: config.port }, 'GATEWAY_PORT', logger);
await listenOrExit(grpc, { host: config.host, port: config.grpcPort }, 'GATEWAY_GRPC_PORT', logger);
