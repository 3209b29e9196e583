import { connect } from 'nats';
import { ensureStreams } from '@stagecoach/events';
import { commonSettings, createLogger, loadConfig } from '@stagecoach/platform';

// Channel delivery (Feishu, DingTalk, WeCom, mail, webhooks) arrives with the notifier capability;
// until then the process connects to NATS and makes sure the event stream it will consume exists.
const config = loadConfig({ natsUrl: commonSettings.natsUrl });
const logger = createLogger({ name: 'notifier' });
const nc = await connect({ servers: config.natsUrl, name: 'stagecoach-notifier', maxReconnectAttempts: -1 });
await ensureStreams(await nc.jetstreamManager());
logger.info('notifier connected');
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => void nc.drain().then(() => process.exit(0)));
await nc.closed();
