import Fastify from 'fastify';
import { createLogger, int, loadConfig, str } from '@stagecoach/platform';

// Webhook ingress and timers arrive with the triggers capability; until then the service only
// reports that it is up, so the local stack and deployments already have its process and port.
const config = loadConfig({
  host: str('TRIGGER_HOST', 'address the trigger service listens on', '127.0.0.1'),
  port: int('TRIGGER_PORT', 'port the trigger service listens on', 8081),
});
const logger = createLogger({ name: 'trigger' });
const app = Fastify({ loggerInstance: logger });
app.get('/healthz', async () => ({ ok: true }));
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => void app.close().then(() => process.exit(0)));
await app.listen({ host: config.host, port: config.port });
