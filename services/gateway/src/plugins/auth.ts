import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { findLiveCredential, touchCredential, type Db, type UserRow } from '@stagecoach/db';
import { bearerTokenHash, ForbiddenError, UnauthorizedError, ValidationError } from '@stagecoach/platform';

/** Who is asking, once their bearer token checked out. */
export interface Principal {
  username: string;
  systemAdmin: boolean;
  /** the signed-in user; absent for the installation's admin token, which is nobody in particular */
  user?: UserRow;
  /** the credential used (sessions end at logout) */
  credentialId?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** the caller's name, as approvals and the audit log record it */
    caller?: string;
    principal?: Principal;
  }
}

const digest = (value: string) => createHash('sha256').update(value).digest();

function bearer(request: FastifyRequest): string {
  const header = request.headers.authorization ?? '';
  return header.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : '';
}

/** Whether the request carries the admin token (compared as digests, in constant time). */
function hasAdminToken(request: FastifyRequest, adminToken: string): boolean {
  const token = bearer(request);
  // Compare digests so the comparison takes the same time whatever the token's length.
  return token !== '' && timingSafeEqual(digest(token), digest(adminToken));
}

/** Routes that take no credential, even to change something. */
const PUBLIC_ROUTES = new Set(['POST /api/v1/login']);

/**
 * Resolves the bearer token of every API call: the installation's admin token (a system admin who
 * names the person acting in X-User), or a user's login session or API token (the person is the
 * token's user). A token that is present but unknown, expired or revoked is refused. Mutating calls
 * need one; reads stay open until roles land.
 */
export function registerAuth(app: FastifyInstance, options: { db: Db; adminToken: string }): void {
  app.addHook('onRequest', async (request: FastifyRequest) => {
    if (!request.url.startsWith('/api/')) return;
    const route = `${request.method} ${request.routeOptions.url ?? ''}`;
    if (PUBLIC_ROUTES.has(route)) return;
    const token = bearer(request);
    const mutating = !['GET', 'HEAD', 'OPTIONS'].includes(request.method);
    if (token === '') {
      if (mutating) throw new UnauthorizedError('a valid token is required (Authorization: Bearer)');
      return;
    }
    if (hasAdminToken(request, options.adminToken)) {
      const user = request.headers['x-user'];
      if (typeof user === 'string' && user.trim() !== '') {
        request.caller = user.trim();
      } else if (mutating) {
        throw new ValidationError('with the admin token, the X-User header names the caller and is required', [
          { path: 'headers.x-user', message: 'required' },
        ]);
      }
      request.principal = { username: request.caller ?? 'admin', systemAdmin: true };
      return;
    }
    const now = new Date();
    const found = await findLiveCredential(options.db, bearerTokenHash(token), now);
    if (!found) throw new UnauthorizedError('the token is unknown, expired or revoked');
    request.principal = {
      username: found.user.username,
      systemAdmin: found.user.systemAdmin,
      user: found.user,
      credentialId: found.credential.id,
    };
    request.caller = found.user.username;
    // Last use is informational: a minute's precision saves a write per request.
    const last = found.credential.lastUsedAt?.getTime() ?? 0;
    if (now.getTime() - last > 60_000) await touchCredential(options.db, found.credential.id, now);
  });
}

/** System admins only: 401 without a credential, 403 with someone else's. */
export function requireSystemAdmin(request: FastifyRequest, what: string): Principal {
  if (!request.principal) throw new UnauthorizedError(`${what}: a valid token is required`);
  if (!request.principal.systemAdmin) throw new ForbiddenError(`${what}: system admins only`);
  return request.principal;
}
