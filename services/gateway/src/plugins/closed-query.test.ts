import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { refuseUnknownQueryParameters } from './closed-query.js';

const ajv = { customOptions: { removeAdditional: false, allErrors: true } };

describe('refuseUnknownQueryParameters', () => {
  it('closes routes with, without and with the `query` alias of a querystring schema', async () => {
    const app = Fastify({ ajv });
    refuseUnknownQueryParameters(app);
    const named = { type: 'object', properties: { page: { type: 'integer' } } };
    app.get('/named', { schema: { querystring: named } }, async () => ({ ok: true }));
    app.get('/none', async () => ({ ok: true }));
    app.get('/alias', { schema: { query: named } as object }, async () => ({ ok: true }));
    for (const path of ['/named', '/alias']) {
      expect((await app.inject(`${path}?page=2`)).statusCode).toBe(200);
      expect((await app.inject(`${path}?pgae=2`)).statusCode).toBe(400);
    }
    expect((await app.inject('/none')).statusCode).toBe(200);
    expect((await app.inject('/none?page=2')).statusCode).toBe(400);
  });

  it('leaves a schema that says what it allows, and refuses one it cannot close', async () => {
    const app = Fastify({ ajv });
    refuseUnknownQueryParameters(app);
    const open = { type: 'object', properties: {}, additionalProperties: true };
    app.get('/open', { schema: { querystring: open } }, async () => ({ ok: true }));
    expect(() => app.get('/ref', { schema: { querystring: { $ref: 'query#' } } }, async () => ({}))).toThrow(
      'GET /ref: its querystring schema is not an object schema this hook can close',
    );
    expect((await app.inject('/open?anything=1')).statusCode).toBe(200);
  });
});
