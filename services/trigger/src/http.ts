import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TriggerRow } from '@stagecoach/db';
import { ValidationError } from '@stagecoach/platform';
import type { FireResult } from '@stagecoach/triggers';

const RAW = Symbol('rawBody');

/**
 * JSON bodies are kept as the bytes that arrived as well as parsed: signatures are computed over the
 * raw bytes, and a re-serialised object would not match them.
 */
export function registerRawJsonParser(app: FastifyInstance): void {
  app.addContentTypeParser(['application/json', 'application/*+json'], { parseAs: 'buffer' }, (request, body, done) => {
    (request as unknown as Record<symbol, Buffer>)[RAW] = body as Buffer;
    try {
      done(null, body.length === 0 ? {} : JSON.parse(body.toString('utf8')));
    } catch (err) {
      done(
        new ValidationError(`the body is not valid JSON: ${(err as Error).message}`, [
          { path: 'body', message: 'invalid JSON' },
        ]),
      );
    }
  });
}

export function rawBodyOf(request: FastifyRequest): Buffer {
  return (request as unknown as Record<symbol, Buffer | undefined>)[RAW] ?? Buffer.alloc(0);
}

/** One trigger's decision on a delivery, as the hook answers it. */
export function resultBody(trigger: TriggerRow, result: FireResult) {
  return {
    project: trigger.project,
    workflow: trigger.workflow,
    trigger: trigger.name,
    decision: result.decision,
    run_number: result.runNumber ?? null,
    reason: result.reason ?? null,
    duplicate: result.duplicate,
  };
}
