import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_NESTING_DEPTH } from '@stagecoach/spec';
import { registerErrorHandler } from './errors.js';
import { rejectUnstorableInput } from './input-guard.js';

let app: FastifyInstance;
let handled = 0;
let lookedUp = 0;
beforeAll(async () => {
  app = Fastify();
  registerErrorHandler(app);
  rejectUnstorableInput(app);
  // Stands for the services' access check, which looks the path's project up.
  app.addHook('onRequest', async () => {
    lookedUp++;
  });
  app.post('/things/:name', async (request) => {
    handled++;
    return { got: request.body };
  });
  await app.ready();
});
afterAll(() => app.close());

const post = (url: string, body: string) =>
  app.inject({ method: 'POST', url, payload: body, headers: { 'content-type': 'application/json' } });

describe('rejectUnstorableInput', () => {
  it('refuses a NUL in the path, the query or the body before the handler runs, naming where', async () => {
    const before = handled;
    const lookups = lookedUp;
    const inPath = await post('/things/a%00b', '{}');
    // The path and the query are checked before the hooks that read them.
    expect(lookedUp).toBe(lookups);
    expect(inPath.statusCode).toBe(400);
    expect(inPath.json().issues).toEqual([
      { path: 'params.name', message: 'contains a NUL character, which cannot be stored' },
    ]);
    expect((await post('/things/a?note=x%00', '{}')).json().issues[0].path).toBe('querystring.note');
    const inBody = await post('/things/a', JSON.stringify({ env: [{ value: 'a\u0000' }] }));
    expect(inBody.json()).toEqual({
      error: 'validation_failed',
      message: 'body.env.0.value contains a NUL character, which cannot be stored',
      issues: [{ path: 'body.env.0.value', message: 'contains a NUL character, which cannot be stored' }],
    });
    expect(handled).toBe(before);
  });

  it('refuses a body nested deeper than the limit, however deep, and passes one at the limit', async () => {
    const nest = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;
    const atLimit = await post('/things/a', `{"a": ${nest(MAX_NESTING_DEPTH - 1)}}`);
    expect(atLimit.statusCode).toBe(200);
    for (const levels of [MAX_NESTING_DEPTH, 100_000]) {
      const refused = await post('/things/a', `{"a": ${nest(levels)}}`);
      expect(refused.statusCode).toBe(400);
      expect(refused.json().issues).toEqual([
        {
          path: `body.a${'.0'.repeat(MAX_NESTING_DEPTH - 1)}`,
          message: `nests deeper than ${MAX_NESTING_DEPTH} levels`,
        },
      ]);
    }
  });
});
