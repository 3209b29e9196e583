import { Client, Connection } from '@temporalio/client';
import { createDb } from '@stagecoach/db';
import { listenOrExit } from '@stagecoach/http';
import { commonSettings, createLogger, int, loadConfig, SecretBox, str } from '@stagecoach/platform';
import { finishInterruptedStarts } from '@stagecoach/triggers';
import { buildTriggerApp } from './app.js';

const config = loadConfig({
  ...commonSettings,
  host: str('TRIGGER_HOST', 'address the trigger service listens on', '127.0.0.1'),
  port: int('TRIGGER_PORT', 'port the trigger service listens on', 8081),
  publicUrl: str('STAGECOACH_PUBLIC_URL', 'base URL people reach the gateway at (links)', 'http://127.0.0.1:8080'),
});
const logger = createLogger({ name: 'trigger' });
const connection = await Connection.connect({ address: config.temporalAddress });
const temporal = new Client({ connection, namespace: config.temporalNamespace });
const { db, close: closeDb } = createDb(config.databaseUrl);
const deps = {
  db,
  temporal,
  box: new SecretBox(config.secretKey),
  logger,
  publicUrl: config.publicUrl,
  taskQueue: config.taskQueue,
};
// A previous process may have died between allocating a run and starting it in Temporal.
const { finished, refused, failed } = await finishInterruptedStarts(deps);
if (finished > 0) logger.info({ finished }, 'finished run starts an earlier process left behind');
for (const start of refused) logger.warn(start, 'Temporal refused a run start an earlier process left behind');
for (const start of failed) logger.error(start, 'could not finish a run start an earlier process left behind');
const app = await buildTriggerApp(deps);

async function shutdown(signal: string): Promise<void> {
  logger.info({ signal }, 'shutting down');
  await app.close();
  await connection.close();
  await closeDb();
  process.exit(0);
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void shutdown(signal));
await listenOrExit(app, { host: config.host, port: config.port }, 'TRIGGER_PORT', logger);
