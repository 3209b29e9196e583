import type { FastifyInstance } from 'fastify';
import { recordAudit, type Db } from '@stagecoach/db';

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Appends every mutating call (the API and approval-link decisions) to the audit log once it is
 * answered: who (the caller, or `anonymous` when refused before one was known), what (method,
 * route pattern, path params, status), when, and from where (address, user agent). Written after
 * the response so it never slows one down; a failed write is logged, not turned into an error.
 */
export function registerAuditLog(app: FastifyInstance, db: Db): void {
  app.addHook('onResponse', async (request, reply) => {
    if (READS.has(request.method)) return;
    const route = request.routeOptions.url;
    if (!route || !(route.startsWith('/api/') || route.startsWith('/approvals/'))) return;
    const params = Object.fromEntries(
      Object.entries((request.params ?? {}) as Record<string, unknown>)
        // An approval link's token is its credential: never written down.
        .filter(([key]) => key !== 'token')
        .map(([k, v]) => [k, String(v)]),
    );
    try {
      await recordAudit(db, {
        actor: request.caller ?? 'anonymous',
        method: request.method,
        route,
        params,
        status: reply.statusCode,
        ip: request.ip,
        userAgent: request.headers['user-agent'] ?? null,
        project: params.project ?? null,
      });
    } catch (err) {
      request.log.error({ err, route }, 'writing the audit log failed');
    }
  });
}
