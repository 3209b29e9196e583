import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Db } from '@stagecoach/db';
import { UnauthorizedError } from '@stagecoach/platform';
import { authenticate, timesGiven, type Principal } from '../access/authenticate.js';
import { authorize } from '../access/authorize.js';
import type { Visibility } from '../access/policy.js';
import { API_PREFIXES, pathTarget, type AccessRule } from '../access/rules.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** the caller's name, as approvals and the audit log record it */
    caller?: string;
    principal?: Principal;
    /** which of the project's workflows the caller may see (for listings) */
    visibility?: Visibility;
  }
  interface FastifyInstance {
    /** every guarded route and the rule it declared, as registered */
    accessTable: GuardedRoute[];
  }
}

export interface GuardedRoute {
  method: string;
  url: string;
  rule: AccessRule;
}

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

async function check(db: Db, request: FastifyRequest, rule: AccessRule): Promise<void> {
  const target = rule.kind === 'project' ? (rule.target ?? pathTarget)(request) : undefined;
  request.visibility = await authorize(db, request.principal, rule, target);
}

/**
 * Authentication and authorization for every API route. Each route declares `config.access`
 * (access/rules.ts) and registration fails without one. The check runs before the body is read
 * (or, for a rule whose target is in the body, right after it is parsed) and before the route
 * looks anything up, so a refusal never depends on what exists.
 */
export function registerAuth(app: FastifyInstance, options: { db: Db; adminToken: string }): void {
  const table: GuardedRoute[] = [];
  app.decorate('accessTable', table);
  app.addHook('onRoute', (route) => {
    if (!API_PREFIXES.some((prefix) => route.url.startsWith(prefix))) return;
    const rule = route.config?.access;
    if (!rule) throw new Error(`${String(route.method)} ${route.url} declares no access rule`);
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD') table.push({ method, url: route.url, rule });
    }
  });

  app.addHook('onRequest', async (request) => {
    const rule = request.routeOptions.config.access;
    if (!rule) return;
    if (rule.kind !== 'public') {
      const xUser = request.headers['x-user'];
      request.principal = await authenticate(
        options,
        {
          authorization: request.headers.authorization,
          xUser: typeof xUser === 'string' ? xUser : undefined,
          xUserTimes: timesGiven(request.raw.rawHeaders, 'x-user'),
        },
        !READS.has(request.method),
      );
      request.caller = request.principal?.username;
    }
    if (rule.kind === 'project' && rule.fromBody) {
      // The target waits for the body; who is asking does not.
      if (!request.principal) throw new UnauthorizedError('a valid token is required (Authorization: Bearer)');
      return;
    }
    await check(options.db, request, rule);
  });

  app.addHook('preValidation', async (request) => {
    const rule = request.routeOptions.config.access;
    if (rule?.kind === 'project' && rule.fromBody) await check(options.db, request, rule);
  });
}
