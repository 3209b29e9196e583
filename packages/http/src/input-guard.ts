import type { FastifyInstance } from 'fastify';
import { ValidationError } from '@stagecoach/platform';
import { unstorablePart } from '@stagecoach/spec';

/**
 * Refuses requests whose body, query or path carries what cannot be stored or walked (unstorablePart):
 * text PostgreSQL refuses or alters, a NUL character or a lone surrogate (the request would fail at its
 * first write as a 500, and again at every redelivery), or nesting deep enough to overflow the code
 * that walks it. Register it before the hooks that read the request.
 */
export function rejectUnstorableInput(app: FastifyInstance): void {
  // The path and query before any other hook (the access check looks the project up), the body once parsed.
  app.addHook('onRequest', async (request) => {
    refuse(located('params', request.params) ?? located('querystring', request.query));
  });
  app.addHook('preValidation', async (request) => {
    refuse(located('body', request.body));
  });
}

function refuse(found: { path: string; message: string } | undefined): void {
  if (found) throw new ValidationError(`${found.path} ${found.message}`, [found]);
}

/** Where (`body.env.0.name`, as Fastify's own validation names fields) and why `value` is refused. */
function located(root: string, value: unknown): { path: string; message: string } | undefined {
  const part = unstorablePart(value);
  return part && { path: [root, ...part.path].join('.'), message: part.message };
}
