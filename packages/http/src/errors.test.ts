import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '@stagecoach/platform';
import { httpServerOptions, registerErrorHandler } from './errors.js';

let app: FastifyInstance;
beforeAll(async () => {
  // The services' validator settings: extra properties are refused, not dropped.
  app = Fastify({
    bodyLimit: 2048,
    ajv: { customOptions: { removeAdditional: false, allErrors: true } },
    ...httpServerOptions,
  });
  registerErrorHandler(app);
  app.post('/echo', async (request) => ({ got: request.body }));
  app.get('/links/:token', async () => ({ ok: true }));
  app.post(
    '/vote',
    {
      schema: {
        body: {
          type: 'object',
          required: ['job', 'approve'],
          additionalProperties: false,
          properties: {
            job: { type: 'string' },
            approve: { type: 'boolean' },
            role: { type: 'string', enum: ['admin', 'member', 'viewer'] },
            kind: { const: 'lark' },
          },
        },
      },
    },
    async () => ({ ok: true }),
  );
  app.post('/refuse', async () => {
    throw new ValidationError('invalid run params', [{ path: 'params.x', message: 'unknown param "x"' }]);
  });
  app.post('/break', async () => {
    throw new Error('connection to 10.0.0.5 refused, password=hunter2');
  });
  await app.ready();
});
afterAll(() => app.close());

const post = (url: string, body: string, contentType = 'application/json') =>
  app.inject({ method: 'POST', url, payload: body, headers: { 'content-type': contentType } });

describe('registerErrorHandler', () => {
  it('refuses a malformed path or an overlong path part before routing, in the same shape, echoing neither', async () => {
    const long = await app.inject({ method: 'GET', url: `/links/${'t'.repeat(101)}` });
    expect(long.statusCode).toBe(414);
    expect(long.json()).toEqual({
      error: 'uri_too_long',
      message: 'a part of the path is over 100 characters',
      issues: [{ path: 'url', message: 'over 100 characters' }],
    });
    expect((await app.inject({ method: 'GET', url: `/links/${'t'.repeat(100)}` })).statusCode).toBe(200);
    const malformed = await app.inject({ method: 'GET', url: '/links/%E0%A4%A' });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toEqual({
      error: 'validation_failed',
      message: 'the path is not valid percent-encoding',
      issues: [{ path: 'url', message: 'malformed' }],
    });
  });

  it('answers a path or method no route serves in the same shape, without echoing the query', async () => {
    const missing = await app.inject({ method: 'GET', url: '/nowhere?token=abc' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ error: 'not_found', message: 'no route serves GET /nowhere' });
    const wrongMethod = await app.inject({ method: 'DELETE', url: '/echo' });
    expect(wrongMethod.statusCode).toBe(404);
    expect(wrongMethod.json()).toEqual({ error: 'not_found', message: 'no route serves DELETE /echo' });
    // An approval link's token is its credential: not echoed.
    const link = await app.inject({ method: 'PUT', url: '/approvals/secret-token-value' });
    expect(link.json()).toEqual({ error: 'not_found', message: 'no route serves PUT /approvals/***' });
  });

  it('names a body that is not JSON, or empty, as a bad input at `body`', async () => {
    const broken = await post('/echo', '{"params":');
    expect(broken.statusCode).toBe(400);
    expect(broken.json()).toEqual({
      error: 'validation_failed',
      message: 'the body is not valid JSON',
      issues: [{ path: 'body', message: 'invalid JSON' }],
    });
    const empty = await post('/echo', '');
    expect(empty.statusCode).toBe(400);
    expect(empty.json()).toMatchObject({ error: 'validation_failed', issues: [{ path: 'body', message: 'empty' }] });
  });

  it('says which content type is not accepted, and what the size limit is', async () => {
    const xml = await post('/echo', '<run/>', 'application/xml');
    expect(xml.statusCode).toBe(415);
    expect(xml.json()).toEqual({
      error: 'unsupported_media_type',
      message: 'a body of type application/xml is not accepted here',
      issues: [{ path: 'headers.content-type', message: 'unsupported' }],
    });
    const big = await post('/echo', JSON.stringify({ pad: 'x'.repeat(4096) }));
    expect(big.statusCode).toBe(413);
    expect(big.json()).toEqual({
      error: 'payload_too_large',
      message: 'the body is too large: the limit is 2 KiB',
      issues: [{ path: 'body', message: 'over 2 KiB' }],
    });
  });

  it('points a schema error at the property it is about', async () => {
    const missing = await post('/vote', '{"job":"release"}');
    expect(missing.statusCode).toBe(400);
    expect(missing.json().issues).toEqual([{ path: 'body.approve', message: "must have required property 'approve'" }]);
    const extra = await post('/vote', '{"job":"release","approve":true,"aprove":true}');
    expect(extra.json().issues).toEqual([{ path: 'body.aprove', message: 'must NOT have additional properties' }]);
    const wrongType = await post('/vote', '{"job":"release","approve":"yes"}');
    expect(wrongType.json().issues).toEqual([{ path: 'body.approve', message: 'must be boolean' }]);
    const notListed = await post('/vote', '{"job":"release","approve":true,"role":"owner"}');
    expect(notListed.json().issues).toEqual([{ path: 'body.role', message: 'must be one of admin, member, viewer' }]);
    const notTheOne = await post('/vote', '{"job":"release","approve":true,"kind":"slack"}');
    expect(notTheOne.json().issues).toEqual([{ path: 'body.kind', message: 'must be lark' }]);
  });

  it('keeps our validation errors with their issues, and says nothing of an internal failure', async () => {
    const refused = await post('/refuse', '{}');
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toEqual({
      error: 'validation_failed',
      message: 'invalid run params',
      issues: [{ path: 'params.x', message: 'unknown param "x"' }],
    });
    const broke = await post('/break', '{}');
    expect(broke.statusCode).toBe(500);
    expect(broke.json()).toEqual({ error: 'internal', message: 'internal server error' });
  });
});
