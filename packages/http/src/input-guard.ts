import type { FastifyInstance } from 'fastify';
import { ValidationError } from '@stagecoach/platform';
import { unstorablePart } from '@stagecoach/spec';

/**
 * Refuses requests whose body, query or path carries what cannot be stored or walked: a NUL character
 * (PostgreSQL stores none, in text or jsonb: the request would fail at its first write as a 500, and
 * again at every redelivery) or nesting deep enough to overflow the code that walks it.
 */
export function rejectUnstorableInput(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const found =
      located('params', request.params) ?? located('querystring', request.query) ?? located('body', request.body);
    if (found) throw new ValidationError(`${found.path} ${found.message}`, [found]);
  });
}

/** Where (`body.env.0.name`, as Fastify's own validation names fields) and why `value` is refused. */
function located(root: string, value: unknown): { path: string; message: string } | undefined {
  const part = unstorablePart(value);
  return part && { path: [root, ...part.path].join('.'), message: part.message };
}
