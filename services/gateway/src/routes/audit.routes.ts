import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { listAudit } from '@stagecoach/db';
import type { GatewayDeps } from '../deps.js';
import { errorResponses } from '../schemas.js';
import { SYSTEM_ADMIN, access } from '../access/rules.js';

const AuditEntry = Type.Object({
  id: Type.Integer(),
  at: Type.String(),
  actor: Type.String(),
  method: Type.String(),
  route: Type.String(),
  params: Type.Record(Type.String(), Type.String()),
  status: Type.Integer(),
  ip: Type.String(),
  user_agent: Type.Union([Type.String(), Type.Null()]),
});

/** The audit log, newest first, for system admins only, reads included. */
export const auditRoutes: FastifyPluginAsyncTypebox<{ deps: GatewayDeps }> = async (app, { deps }) => {
  app.get(
    '/audit',
    {
      config: access(SYSTEM_ADMIN),
      schema: {
        tags: ['audit'],
        description: 'Mutating calls: who, what, when, from where. Page with `before=<id of the last entry seen>`.',
        querystring: Type.Object({
          project: Type.Optional(Type.String({ maxLength: 64 })),
          actor: Type.Optional(Type.String({ maxLength: 255 })),
          before: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
          limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
        }),
        response: { 200: Type.Object({ entries: Type.Array(AuditEntry) }), ...errorResponses },
      },
    },
    async (request) => {
      const rows = await listAudit(deps.db, request.query);
      return {
        entries: rows.map((r) => ({
          id: r.id,
          at: r.at.toISOString(),
          actor: r.actor,
          method: r.method,
          route: r.route,
          params: r.params,
          status: r.status,
          ip: r.ip,
          user_agent: r.userAgent,
        })),
      };
    },
  );
};
