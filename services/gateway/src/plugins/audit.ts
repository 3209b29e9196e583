import type { FastifyInstance } from 'fastify';
import { recordAudit, type Db } from '@stagecoach/db';
import { API_PREFIXES } from '../access/rules.js';

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** The API and the approval pages, whose links decide approvals. */
const AUDITED_PREFIXES = [...API_PREFIXES, '/approvals/'];

/**
 * Appends every mutating call (the API, the Zadig OpenAPI and approval-link decisions) to the audit log as it is
 * answered: who (the caller, or `anonymous` when refused before one was known), what (method,
 * route pattern, path params, status), when, and from where (address, user agent). Written just
 * before the answer goes out, so a client that has its answer finds the entry, in order; a failed
 * write is logged and does not change the answer.
 */
export function registerAuditLog(app: FastifyInstance, db: Db): void {
  app.addHook('onSend', async (request, reply, payload) => {
    if (READS.has(request.method)) return payload;
    const route = request.routeOptions.url;
    if (!route || !AUDITED_PREFIXES.some((prefix) => route.startsWith(prefix))) return payload;
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
    return payload;
  });
}
