import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { runWorkflowId } from '@stagecoach/contracts';
import { getRun, listNotifications, listWorkflowNotifications, type NotificationRow } from '@stagecoach/db';
import { NotFoundError } from '@stagecoach/platform';
import type { GatewayDeps } from '../deps.js';
import { findWorkflow } from '../lookups.js';
import { errorResponses, Offset, RunParams, WorkflowParams } from '../schemas.js';
import { access, inProject } from '../access/rules.js';

const NotificationView = Type.Object({
  run_number: Type.Optional(Type.Integer()),
  event_id: Type.String(),
  ctl: Type.String({ description: '`workflow:<i>` or `job:<name>:<i>`: which notify_ctls entry' }),
  webhook_type: Type.String(),
  notify_type: Type.String(),
  status: Type.String({ description: 'sending, sent or failed' }),
  attempts: Type.Integer(),
  error: Type.Union([Type.String(), Type.Null()]),
  created_at: Type.String(),
  finished_at: Type.Union([Type.String(), Type.Null()]),
});

const view = (n: NotificationRow) => ({
  event_id: n.eventId,
  ctl: n.ctl,
  webhook_type: n.webhookType,
  notify_type: n.notifyType,
  status: n.status,
  attempts: n.attempts,
  error: n.error,
  created_at: n.createdAt.toISOString(),
  finished_at: n.finishedAt?.toISOString() ?? null,
});

/** What the notifier sent, and what it could not (errors are stored with secrets masked). */
export const notificationRoutes: FastifyPluginAsyncTypebox<{ deps: GatewayDeps }> = async (app, { deps }) => {
  app.get(
    '/projects/:project/workflows/:name/runs/:number/notifications',
    {
      config: access(inProject('view')),
      schema: {
        tags: ['notifications'],
        params: RunParams,
        response: { 200: Type.Array(NotificationView), ...errorResponses },
      },
    },
    async (request) => {
      const { project, name, number } = request.params;
      const runId = runWorkflowId(project, name, number);
      if (!(await getRun(deps.db, runId))) throw new NotFoundError(`run ${number} of "${project}/${name}" not found`);
      return (await listNotifications(deps.db, runId)).map((n) => ({ run_number: number, ...view(n) }));
    },
  );

  app.get(
    '/projects/:project/workflows/:name/notifications',
    {
      config: access(inProject('view')),
      schema: {
        tags: ['notifications'],
        description:
          'Notifications of every run of the workflow, newest first; `?status=failed` lists what was not delivered.',
        params: WorkflowParams,
        querystring: Type.Object({
          status: Type.Optional(Type.Enum(['sending', 'sent', 'failed'])),
          limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
          offset: Offset,
        }),
        response: {
          200: Type.Object({ total: Type.Integer(), notifications: Type.Array(NotificationView) }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { project, name } = request.params;
      await findWorkflow(deps.db, project, name);
      const { rows, total } = await listWorkflowNotifications(deps.db, { project, workflow: name, ...request.query });
      return { total, notifications: rows.map((r) => ({ run_number: r.runNumber, ...view(r.notification) })) };
    },
  );
};
