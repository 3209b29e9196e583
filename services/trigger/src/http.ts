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
  app.addContentTypeParser(['application/json', 'application/*+json'], { parseAs: 'buffer' }, (request, body, done) =>
    keepingRaw(request, body as Buffer, done, (text) => {
      if (text.length === 0) return {};
      return parseJson(text, 'body', 'the body');
    }),
  );
}

/**
 * GitHub can send a webhook's JSON as the `payload` field of a form (the content type its settings
 * page offers first), signed over the form's bytes: those are kept as the raw body.
 */
export function registerGithubFormParser(app: FastifyInstance): void {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer' }, (request, body, done) =>
    keepingRaw(request, body as Buffer, done, (text) => {
      const payload = new URLSearchParams(text).get('payload');
      if (payload === null) {
        throw new ValidationError('a form body carries the JSON payload in its `payload` field', [
          { path: 'body.payload', message: 'required' },
        ]);
      }
      return parseJson(payload, 'body.payload', 'the payload field');
    }),
  );
}

function keepingRaw(
  request: FastifyRequest,
  body: Buffer,
  done: (err: Error | null, value?: unknown) => void,
  parse: (text: string) => unknown,
): void {
  (request as unknown as Record<symbol, Buffer>)[RAW] = body;
  try {
    done(null, parse(body.toString('utf8')));
  } catch (err) {
    done(err as Error);
  }
}

function parseJson(text: string, path: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ValidationError(`${what} is not valid JSON: ${(err as Error).message}`, [
      { path, message: 'invalid JSON' },
    ]);
  }
}

/**
 * Reads a provider's payload with `read`. The readers take fields of the wrong type as absent, and
 * what still cannot be read (a value no string can be made of, say) is the sender's fault: a 400
 * naming the provider, not a 500.
 */
export function readPayload<T>(source: string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof ValidationError || !(err instanceof TypeError)) throw err;
    throw new ValidationError(`the ${source} payload could not be read: ${err.message}`, [
      { path: 'body', message: 'malformed payload' },
    ]);
  }
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
