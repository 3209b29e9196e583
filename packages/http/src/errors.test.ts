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

/** Asserts a refusal in the house shape: status, `{error, message}` and, for bad input, its one issue. */
function expectRefusal(
  res: { statusCode: number; json(): unknown },
  status: number,
  error: string,
  message: string,
  issue?: { path: string; message: string },
): void {
  expect(res.statusCode).toBe(status);
  expect(res.json()).toEqual({ error, message, ...(issue ? { issues: [issue] } : {}) });
}

const post = (url: string, body: string, contentType = 'application/json') =>
  app.inject({ method: 'POST', url, payload: body, headers: { 'content-type': contentType } });

describe('registerErrorHandler', () => {
  it('refuses a malformed path or an overlong path part before routing, in the same shape, echoing neither', async () => {
    const long = await app.inject({ method: 'GET', url: `/links/${'t'.repeat(101)}` });
    expectRefusal(long, 414, 'uri_too_long', 'a part of the path is over 100 characters', {
      path: 'url',
      message: 'over 100 characters',
    });
    expect((await app.inject({ method: 'GET', url: `/links/${'t'.repeat(100)}` })).statusCode).toBe(200);
    const malformed = await app.inject({ method: 'GET', url: '/links/%E0%A4%A' });
    expectRefusal(malformed, 400, 'validation_failed', 'the path is not valid percent-encoding', {
      path: 'url',
      message: 'malformed',
    });
  });

  it('answers a path or method no route serves in the same shape, without echoing the query', async () => {
    const missing = await app.inject({ method: 'GET', url: '/nowhere?token=abc' });
    expectRefusal(missing, 404, 'not_found', 'no route serves GET /nowhere');
    const wrongMethod = await app.inject({ method: 'DELETE', url: '/echo' });
    expectRefusal(wrongMethod, 404, 'not_found', 'no route serves DELETE /echo');
    // An approval link's token is its credential: not echoed.
    const link = await app.inject({ method: 'PUT', url: '/approvals/secret-token-value' });
    expect(link.json()).toEqual({ error: 'not_found', message: 'no route serves PUT /approvals/***' });
  });

  it('names a body that is not JSON, or empty, as a bad input at `body`', async () => {
    const broken = await post('/echo', '{"params":');
    expectRefusal(broken, 400, 'validation_failed', 'the body is not valid JSON', {
      path: 'body',
      message: 'invalid JSON',
    });
    const empty = await post('/echo', '');
    expect(empty.statusCode).toBe(400);
    expect(empty.json()).toMatchObject({ error: 'validation_failed', issues: [{ path: 'body', message: 'empty' }] });
  });

  it('says which content type is not accepted, and what the size limit is', async () => {
    const xml = await post('/echo', '<run/>', 'application/xml');
    expectRefusal(xml, 415, 'unsupported_media_type', 'a body of type application/xml is not accepted here', {
      path: 'headers.content-type',
      message: 'unsupported',
    });
    const big = await post('/echo', JSON.stringify({ pad: 'x'.repeat(4096) }));
    expectRefusal(big, 413, 'payload_too_large', 'the body is too large: the limit is 2 KiB', {
      path: 'body',
      message: 'over 2 KiB',
    });
  });

  it('points a schema error at the property it is about', async () => {
    const missing = await post('/vote', '{"job":"release"}');
    expect(missing.statusCode).toBe(400);
    expectRefusal(missing, 400, 'validation_failed', 'body.approve is required', {
      path: 'body.approve',
      message: 'is required',
    });
    const extra = await post('/vote', '{"job":"release","approve":true,"aprove":true}');
    expectRefusal(extra, 400, 'validation_failed', 'body.aprove is not a known field', {
      path: 'body.aprove',
      message: 'is not a known field',
    });
    // The message names the first issue and counts the others.
    const several = await post('/vote', '{"approve":"yes","aprove":true}');
    expect(several.json().message).toBe('body.job is required (and 2 more)');
    expect(several.json().issues).toHaveLength(3);
    const wrongType = await post('/vote', '{"job":"release","approve":"yes"}');
    expect(wrongType.json().issues).toEqual([{ path: 'body.approve', message: 'must be boolean' }]);
    const notListed = await post('/vote', '{"job":"release","approve":true,"role":"owner"}');
    expect(notListed.json().issues).toEqual([{ path: 'body.role', message: 'must be one of admin, member, viewer' }]);
    const notTheOne = await post('/vote', '{"job":"release","approve":true,"kind":"slack"}');
    expect(notTheOne.json().issues).toEqual([{ path: 'body.kind', message: 'must be lark' }]);
  });

  it('keeps our validation errors with their issues, and says nothing of an internal failure', async () => {
    const refused = await post('/refuse', '{}');
    expectRefusal(refused, 400, 'validation_failed', 'invalid run params', {
      path: 'params.x',
      message: 'unknown param "x"',
    });
    const broke = await post('/break', '{}');
    expectRefusal(broke, 500, 'internal', 'internal server error');
  });
});
