import { createDb } from '@stagecoach/db';
import { connectNats, ensureStreams, startProjector, streamNamesFor } from '@stagecoach/events';
import { mailerFromSettings } from '@stagecoach/notify';
import { commonSettings, createLogger, loadConfig, mailSettings, SecretBox, str } from '@stagecoach/platform';
import { startNotifier } from './notifier.js';

const config = loadConfig({
  databaseUrl: commonSettings.databaseUrl,
  natsUrl: commonSettings.natsUrl,
  streamPrefix: commonSettings.streamPrefix,
  secretKey: commonSettings.secretKey,
  ...mailSettings,
  publicUrl: str('STAGECOACH_PUBLIC_URL', 'base URL people reach the gateway at (links)', 'http://127.0.0.1:8080'),
});
const logger = createLogger({ name: 'notifier' });
const nc = await connectNats(config.natsUrl, { name: 'stagecoach-notifier' });
const names = streamNamesFor(config.streamPrefix);
await ensureStreams(await nc.jetstreamManager(), { names });
const { db, close: closeDb } = createDb(config.databaseUrl, { applicationName: 'stagecoach-notifier' });
// The projector keeps the PostgreSQL run index current from the event stream. It lives here, beside the
// other event consumer, not in the worker: sharing the worker's event loop delayed workflow tasks.
const projector = await startProjector({ nc, db, durableName: 'projector', logger, names });
const notifier = await startNotifier({
  nc,
  db,
  names,
  logger,
  publicUrl: config.publicUrl,
  box: new SecretBox(config.secretKey),
  mailer: mailerFromSettings(config),
});
logger.info('notifier and projector started');

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    if (stopping) return;
    stopping = true;
    void (async () => {
      await notifier.stop();
      await projector.stop();
      await nc.drain();
      await closeDb();
      logger.info('notifier and projector stopped');
      process.exit(0);
    })();
  });
await nc.closed();
