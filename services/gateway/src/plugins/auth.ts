import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { UnauthorizedError, ValidationError } from '@stagecoach/platform';

declare module 'fastify' {
  interface FastifyRequest {
    /** who is asking: the X-User header until users and tokens land */
    caller?: string;
  }
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Until users and API tokens exist, every mutating call carries the admin token and names its caller
 * in X-User (approvals and manual gates check that name against the job's lists). Reads are open.
 */
/** Whether the request carries the admin token (compared as digests, in constant time). */
export function hasAdminToken(request: FastifyRequest, adminToken: string): boolean {
  const header = request.headers.authorization ?? '';
  const token = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
  // Compare digests so the comparison takes the same time whatever the token's length.
  return token !== '' && timingSafeEqual(digest(token), digest(adminToken));
}

export function registerAdminTokenAuth(app: FastifyInstance, adminToken: string): void {
  app.addHook('onRequest', async (request: FastifyRequest) => {
    if (request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS') return;
    if (!request.url.startsWith('/api/')) return;
    if (!hasAdminToken(request, adminToken))
      throw new UnauthorizedError('a valid admin token is required (Authorization: Bearer)');
    const user = request.headers['x-user'];
    if (typeof user !== 'string' || user.trim() === '') {
      throw new ValidationError('the X-User header names the caller and is required', [
        { path: 'headers.x-user', message: 'required' },
      ]);
    }
    request.caller = user.trim();
  });
}
