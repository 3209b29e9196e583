import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerErrorHandler } from './errors.js';
import { strictJsonParser } from './json-body.js';

describe('strictJsonParser', () => {
  let app: FastifyInstance;
  let handled = 0;
  beforeAll(async () => {
    app = Fastify();
    registerErrorHandler(app);
    app.addContentTypeParser('application/json', { parseAs: 'string' }, strictJsonParser(app));
    app.post('/things', async (request) => {
      handled++;
      return { got: request.body };
    });
    await app.ready();
  });
  afterAll(() => app.close());
  const post = (body: string) =>
    app.inject({ method: 'POST', url: '/things', payload: body, headers: { 'content-type': 'application/json' } });

  it('refuses a repeated key with a 400 naming it, before the handler runs', async () => {
    const res = await post('{"env": [{"key": "A", "value": "1", "value": "2"}]}');
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      error: 'validation_failed',
      message: 'body.env.0.value is given more than once',
      issues: [{ path: 'body.env.0.value', message: 'is given more than once' }],
    });
    expect(handled).toBe(0);
  });

  it("parses everything else as Fastify's own parser does", async () => {
    expect((await post('{"a": [1, {"b": "c"}]}')).json()).toEqual({ got: { a: [1, { b: 'c' }] } });
    expect((await post('"text"')).json()).toEqual({ got: 'text' });
    expect((await post('{"broken')).statusCode).toBe(400);
    expect((await post('{"__proto__": {"x": 1}}')).statusCode).toBe(400);
  });
});
