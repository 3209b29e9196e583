import type { FastifyInstance } from 'fastify';
import { ValidationError } from '@stagecoach/platform';

/** Where in `value` a string (or an object key) holds a NUL character, as a dotted path. */
export function nulPath(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path : undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = nulPath(value[i], `${path}.${i}`);
      if (found) return found;
    }
    return undefined;
  }
  if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (key.includes('\u0000')) return `${path}.${key.replaceAll('\u0000', '\\u0000')}`;
      const found = nulPath(item, `${path}.${key}`);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * Refuses requests whose body, query or path carries a NUL character. PostgreSQL stores none, in
 * text or jsonb: such a request would otherwise fail at its first write as a 500, and again at
 * every redelivery.
 */
export function rejectNulCharacters(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const where =
      nulPath(request.params, 'params') ?? nulPath(request.query, 'querystring') ?? nulPath(request.body, 'body');
    if (where) {
      throw new ValidationError(`${where} contains a NUL character, which cannot be stored`, [
        { path: where, message: 'contains a NUL character' },
      ]);
    }
  });
}
