import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { httpServerOptions, registerErrorHandler, rejectUnstorableInput } from '@stagecoach/http';
import type { TriggerServiceDeps } from './deps.js';
import { gitHooks } from './git-hooks.js';
import { registerRawJsonParser } from './http.js';
import { triggerHooks } from './trigger-hooks.js';

/** Webhook payloads are far smaller than this; anything bigger is refused before it is parsed. */
const BODY_LIMIT_BYTES = 5 * 1024 * 1024;

/** Builds the trigger service without listening (tests use inject, main.ts listens). */
export async function buildTriggerApp(deps: TriggerServiceDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT_BYTES,
    ...httpServerOptions,
  });
  registerErrorHandler(app);
  rejectUnstorableInput(app);
  // Signatures and delivery keys need the bytes as they came, which only our parsers keep (JSON here,
  // GitHub's form on its route): any other body (Fastify parses text/plain by default) is a 415.
  app.removeContentTypeParser('text/plain');
  registerRawJsonParser(app);
  app.get('/healthz', async () => ({ ok: true }));
  await app.register(gitHooks, { deps });
  await app.register(triggerHooks, { deps });
  await app.ready();
  return app;
}
