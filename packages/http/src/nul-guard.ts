import type { FastifyInstance } from 'fastify';
import { ValidationError } from '@stagecoach/platform';
import { nulPath } from '@stagecoach/spec';

/**
 * Refuses requests whose body, query or path carries a NUL character. PostgreSQL stores none, in
 * text or jsonb: such a request would otherwise fail at its first write as a 500, and again at
 * every redelivery.
 */
export function rejectNulCharacters(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const where =
      located('params', request.params) ?? located('querystring', request.query) ?? located('body', request.body);
    if (where) {
      throw new ValidationError(`${where} contains a NUL character, which cannot be stored`, [
        { path: where, message: 'contains a NUL character' },
      ]);
    }
  });
}

/** The dotted path (`body.env.0.name`, as Fastify's own validation names fields) of a NUL in `value`. */
function located(root: string, value: unknown): string | undefined {
  const path = nulPath(value);
  return path && [root, ...path].join('.');
}
