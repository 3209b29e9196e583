import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime } from '@temporalio/worker';
import { createDb } from '@stagecoach/db';
import { connectNats, ensureStreams, streamNamesFor } from '@stagecoach/events';
import { processLauncher } from '@stagecoach/launcher';
import { mailerFromSettings } from '@stagecoach/notify';
import { commonSettings, createLogger, loadConfig, mailSettings, SecretBox, str } from '@stagecoach/platform';
import { sdkLogger } from './sdk-logger.js';
import { createWorker } from './worker.js';

const config = loadConfig({
  ...commonSettings,
  ...mailSettings,
  workspaceRoot: str(
    'STAGECOACH_WORKSPACE_ROOT',
    'folder for per-job workspaces',
    join(tmpdir(), 'stagecoach-workspaces'),
  ),
  publicUrl: str('STAGECOACH_PUBLIC_URL', 'base URL people reach the gateway at (links)', 'http://127.0.0.1:8080'),
});
const logger = createLogger({ name: 'worker' });
Runtime.install({ logger: sdkLogger(logger) });

const connection = await NativeConnection.connect({ address: config.temporalAddress });
const clientConnection = await Connection.connect({ address: config.temporalAddress });
const temporal = new Client({ connection: clientConnection, namespace: config.temporalNamespace });
const nc = await connectNats(config.natsUrl, { name: 'stagecoach-worker' });
const names = streamNamesFor(config.streamPrefix);
await ensureStreams(await nc.jetstreamManager(), { names });
const js = nc.jetstream();
const { db, close: closeDb } = createDb(config.databaseUrl);
const worker = await createWorker({
  connection,
  namespace: config.temporalNamespace,
  temporal,
  db,
  js,
  box: new SecretBox(config.secretKey),
  workspaceRoot: config.workspaceRoot,
  taskQueue: config.taskQueue,
  names,
  publicUrl: config.publicUrl,
  mailer: mailerFromSettings(config),
});
// Jobs and helm start from the launcher's helper: boot it now, so the first job does not wait for it.
processLauncher.start();
logger.info({ taskQueue: worker.options.taskQueue }, 'worker started');
await worker.run();
await nc.drain();
await clientConnection.close();
await connection.close();
await closeDb();
logger.info('worker stopped');
