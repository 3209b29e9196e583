// The bare baseline's worker as a process of its own, deployed like Stagecoach's (services/worker): the
// same job activities on the baseline's task queue, with nothing else sharing its event loop. Its
// activities publish as Stagecoach's do, into streams of the baseline's own that nothing consumes: a
// bare Temporal workflow has no projector.
import { createRequire } from 'node:module';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '@stagecoach/activities';
import { createDb } from '@stagecoach/db';
import { connectNats, ensureStreams, streamNamesFor } from '@stagecoach/events';
import { commonSettings, loadConfig, SecretBox, str } from '@stagecoach/platform';

const config = loadConfig({
  ...commonSettings,
  workspaceRoot: str('STAGECOACH_WORKSPACE_ROOT', 'folder for per-job workspaces', ''),
});
Runtime.install({ logger: new DefaultLogger('ERROR') });

const connection = await NativeConnection.connect({ address: config.temporalAddress });
const clientConnection = await Connection.connect({ address: config.temporalAddress });
const nc = await connectNats(config.natsUrl, { name: 'bench-bare-worker' });
const names = streamNamesFor(config.streamPrefix);
await ensureStreams(await nc.jetstreamManager(), { names });
const { db, close: closeDb } = createDb(config.databaseUrl);
const worker = await Worker.create({
  connection,
  taskQueue: config.taskQueue,
  workflowsPath: createRequire(import.meta.url).resolve('./bare.workflow.ts'),
  activities: createActivities({
    db,
    js: nc.jetstream(),
    box: new SecretBox(config.secretKey),
    temporal: new Client({ connection: clientConnection }),
    workspaceRoot: config.workspaceRoot,
    names,
  }),
});
await worker.run();
await nc.drain();
await clientConnection.close();
await connection.close();
await closeDb();
