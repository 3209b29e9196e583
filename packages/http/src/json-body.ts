import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ValidationError } from '@stagecoach/platform';
import { repeatedJsonKey } from '@stagecoach/spec';

type Done = (err: Error | null, body?: unknown) => void;

/**
 * Fastify's own JSON body parser (prototype pollution refused), refusing as well an object that names a
 * key twice: JSON.parse keeps the last silently, so `{"script": "a", …, "script": "b"}` would save what
 * the author may not have meant, where the same definition in YAML is refused. Install it with
 * `app.addContentTypeParser('application/json', { parseAs: 'string' }, strictJsonParser(app))`.
 */
export function strictJsonParser(app: FastifyInstance): (request: FastifyRequest, body: string, done: Done) => void {
  const parse = app.getDefaultJsonParser('error', 'error');
  return (request, body, done) => {
    void parse(request, body, (err, parsed: unknown) => {
      if (err || typeof parsed !== 'object' || parsed === null) return done(err, parsed);
      const repeated = repeatedJsonKey(body);
      if (!repeated) return done(null, parsed);
      const at = ['body', ...repeated.path].join('.');
      done(new ValidationError(`${at} is given more than once`, [{ path: at, message: 'is given more than once' }]));
    });
  };
}
