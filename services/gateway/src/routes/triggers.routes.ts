import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  deleteTrigger,
  getTriggerByName,
  insertTrigger,
  listDeliveries,
  listTriggers,
  updateTrigger,
  withTransaction,
  type TriggerKind,
  type TriggerRow,
  type WorkflowRow,
} from '@stagecoach/db';
import { NotFoundError, ValidationError } from '@stagecoach/platform';
import { resolveRunParams } from '@stagecoach/spec';
import {
  deleteTimerSchedule,
  normalizeTrigger,
  sealSecrets,
  sealedTriggerParams,
  splitParams,
  syncTimerSchedule,
  triggerSecrets,
  type GeneralConfig,
  type TriggerBody,
} from '@stagecoach/triggers';
import type { GatewayDeps } from '../deps.js';
import { findWorkflow } from '../lookups.js';
import { errorResponses, Offset, WorkflowParams } from '../schemas.js';
import { DeliveryView, TRIGGER_BODIES, TriggerView } from './triggers.schemas.js';
import { access, inProject } from '../access/rules.js';

const KINDS = Object.keys(TRIGGER_BODIES) as TriggerKind[];
const MASK = '***';

/** Where a provider delivers to (the trigger service): git hooks share one URL per provider. */
function hookUrl(hooksUrl: string, row: TriggerRow): string | null {
  const base = hooksUrl.replace(/\/$/, '');
  if (row.kind === 'timer') return null;
  if (row.kind === 'git') return `${base}/hooks/${String((row.config.main_repo as { source: string }).source)}`;
  return `${base}/hooks/${row.kind}/${row.id}`;
}

export const triggerRoutes: FastifyPluginAsyncTypebox<{ deps: GatewayDeps }> = async (app, { deps }) => {
  const view = (row: TriggerRow) => ({
    ...row.config,
    id: row.id,
    kind: row.kind,
    name: row.name,
    enabled: row.enabled,
    // Credential params are named but never shown.
    params: {
      ...row.params,
      ...Object.fromEntries(Object.keys(sealedTriggerParams(deps.box, row)).map((k) => [k, MASK])),
    },
    secrets_set: Object.keys(triggerSecrets(deps.box, row)).sort(),
    hook_url: hookUrl(deps.hooksUrl, row),
    created_by: row.createdBy,
    updated_by: row.updatedBy,
    updated_at: row.updatedAt.toISOString(),
  });

  /** A credential param sent back as a GET shows it (`***`) keeps its stored value: GET, edit, PUT works. */
  const keepMaskedParams = (params: Record<string, string>, previous: TriggerRow | undefined) => {
    const stored = previous ? sealedTriggerParams(deps.box, previous) : {};
    return Object.fromEntries(
      Object.entries(params).map(([name, value]) => [name, value === MASK && name in stored ? stored[name]! : value]),
    );
  };

  const workflowOf = (p: { project: string; name: string }) => findWorkflow(deps.db, p.project, p.name);
  const existing = async (workflow: WorkflowRow, kind: TriggerKind, name: string) => {
    const row = await getTriggerByName(deps.db, workflow.id, kind, name);
    if (!row) throw new NotFoundError(`${kind} trigger "${name}" of "${workflow.project}/${workflow.name}" not found`);
    return row;
  };

  /** Everything a saved trigger must satisfy, checked before anything is written. */
  const prepare = (workflow: WorkflowRow, kind: TriggerKind, body: TriggerBody, previous?: TriggerRow) => {
    const normalized = normalizeTrigger(
      kind,
      body,
      previous && { secrets: triggerSecrets(deps.box, previous), config: previous.config },
    );
    if (!normalized.ok) throw new ValidationError(`invalid ${kind} trigger`, normalized.issues);
    const t = { ...normalized.trigger, params: keepMaskedParams(normalized.trigger.params, previous) };
    const params = resolveRunParams(workflow.definition.params ?? [], t.params);
    if (!params.ok) throw new ValidationError('the trigger params do not fit the workflow', params.issues);
    // A general hook's mapping to a param the workflow lacks would refuse every delivery, blaming the sender.
    const known = new Set((workflow.definition.params ?? []).map((p) => p.name));
    const unmapped = Object.keys((t.config as GeneralConfig).param_mapping ?? {}).filter((name) => !known.has(name));
    if (unmapped.length > 0) {
      throw new ValidationError(
        'the trigger params do not fit the workflow',
        unmapped.map((name) => ({
          path: `param_mapping.${name}`,
          message: `no param "${name}" in workflow "${workflow.name}"`,
        })),
      );
    }
    return {
      name: t.name,
      enabled: t.enabled,
      config: t.config,
      sealedSecrets: sealSecrets(deps.box, t.secrets),
      ...splitParams(deps.box, workflow.definition.params ?? [], t.params),
      repoKey: t.repoKey,
    };
  };

  // A timer's schedule is written in the same transaction as its row: if Temporal refuses, nothing is saved.
  const syncSchedule = (row: TriggerRow) =>
    row.kind === 'timer' ? syncTimerSchedule(deps.temporal, row, deps.taskQueue) : Promise.resolve();

  app.get(
    '/projects/:project/workflows/:name/triggers/deliveries',
    {
      config: access(inProject('view')),
      schema: {
        tags: ['triggers'],
        description:
          'Every delivery a trigger of this workflow received and what was decided: started run N, or ignored and why.',
        params: WorkflowParams,
        querystring: Type.Object({
          limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
          offset: Offset,
        }),
        response: {
          200: Type.Object({ total: Type.Integer(), deliveries: Type.Array(DeliveryView) }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      await workflowOf(request.params);
      const { rows, total } = await listDeliveries(deps.db, {
        project: request.params.project,
        workflow: request.params.name,
        limit: request.query.limit,
        offset: request.query.offset,
      });
      return {
        total,
        deliveries: rows.map(({ delivery: d, triggerKind, triggerName }) => ({
          id: d.id,
          source: d.source,
          delivery_key: d.deliveryKey,
          trigger: { id: d.triggerId, kind: triggerKind, name: triggerName },
          event: d.event,
          decision: d.decision,
          reason: d.reason,
          run_number: d.runNumber,
          received_at: d.receivedAt.toISOString(),
          decided_at: d.decidedAt?.toISOString() ?? null,
        })),
      };
    },
  );

  for (const kind of KINDS) {
    const ItemParams = Type.Object({
      ...WorkflowParams.properties,
      trigger: Type.String({ minLength: 1, maxLength: 64 }),
    });
    const base = `/projects/:project/workflows/:name/triggers/${kind}`;
    const tags = ['triggers'];

    app.post(
      base,
      {
        config: access(inProject('edit')),
        schema: {
          tags,
          params: WorkflowParams,
          body: TRIGGER_BODIES[kind],
          response: { 201: TriggerView, ...errorResponses },
        },
      },
      async (request, reply) => {
        const workflow = await workflowOf(request.params);
        const fields = prepare(workflow, kind, request.body as unknown as TriggerBody);
        const row = await withTransaction(deps.db, async (tx) => {
          const inserted = await insertTrigger(tx, {
            ...fields,
            workflowId: workflow.id,
            project: workflow.project,
            workflow: workflow.name,
            kind,
            createdBy: request.caller!,
            updatedBy: request.caller!,
          });
          await syncSchedule(inserted);
          return inserted;
        });
        return reply.status(201).send(view(row));
      },
    );

    app.get(
      base,
      {
        config: access(inProject('view')),
        schema: { tags, params: WorkflowParams, response: { 200: Type.Array(TriggerView), ...errorResponses } },
      },
      async (request) => {
        const workflow = await workflowOf(request.params);
        return (await listTriggers(deps.db, workflow.id, kind)).map(view);
      },
    );

    app.get(
      `${base}/:trigger`,
      {
        config: access(inProject('view')),
        schema: { tags, params: ItemParams, response: { 200: TriggerView, ...errorResponses } },
      },
      async (request) => view(await existing(await workflowOf(request.params), kind, request.params.trigger)),
    );

    app.put(
      `${base}/:trigger`,
      {
        config: access(inProject('edit')),
        schema: {
          tags,
          description: 'Replace the trigger. Secret fields left out keep their stored values.',
          params: ItemParams,
          body: TRIGGER_BODIES[kind],
          response: { 200: TriggerView, ...errorResponses },
        },
      },
      async (request) => {
        const workflow = await workflowOf(request.params);
        const previous = await existing(workflow, kind, request.params.trigger);
        const fields = prepare(workflow, kind, request.body as unknown as TriggerBody, previous);
        const row = await withTransaction(deps.db, async (tx) => {
          const updated = (await updateTrigger(tx, previous.id, { ...fields, updatedBy: request.caller! }))!;
          await syncSchedule(updated);
          return updated;
        });
        return view(row);
      },
    );

    app.delete(
      `${base}/:trigger`,
      {
        config: access(inProject('edit')),
        schema: { tags, params: ItemParams, response: { 204: Type.Null(), ...errorResponses } },
      },
      async (request, reply) => {
        const workflow = await workflowOf(request.params);
        const row = await existing(workflow, kind, request.params.trigger);
        await withTransaction(deps.db, async (tx) => {
          await deleteTrigger(tx, row.id);
          if (row.kind === 'timer') await deleteTimerSchedule(deps.temporal, row.id);
        });
        return reply.status(204).send(null);
      },
    );
  }
};
