import { connect } from 'nats';
import { createDb } from '@stagecoach/db';
import { ensureStreams, streamNamesFor } from '@stagecoach/events';
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
const nc = await connect({ servers: config.natsUrl, name: 'stagecoach-notifier', maxReconnectAttempts: -1 });
const names = streamNamesFor(config.streamPrefix);
await ensureStreams(await nc.jetstreamManager(), { names });
const { db, close: closeDb } = createDb(config.databaseUrl, { applicationName: 'stagecoach-notifier' });
const notifier = await startNotifier({
  js: nc.jetstream(),
  db,
  names,
  logger,
  publicUrl: config.publicUrl,
  box: new SecretBox(config.secretKey),
  mailer: mailerFromSettings(config),
});
logger.info('notifier started');

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    if (stopping) return;
    stopping = true;
    void (async () => {
      await notifier.stop();
      await nc.drain();
      await closeDb();
      logger.info('notifier stopped');
      process.exit(0);
    })();
  });
await nc.closed();
