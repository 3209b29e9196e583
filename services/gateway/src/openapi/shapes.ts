import { Type, type Static } from '@fastify/type-provider-typebox';
import type { RunRow, ViewRow, WorkflowRow } from '@stagecoach/db';
import type { Param, Stage, WorkflowDefinition } from '@stagecoach/spec';
import type { runDetail } from '../routes/runs.routes.js';

/**
 * Zadig's OpenAPI bodies (field names as `pkg/microservice/aslan/core/workflow/service/workflow`
 * spells them in its OpenAPI types) and the mappings from Stagecoach's rows. Times are Unix seconds,
 * as Zadig stores them.
 */

const seconds = (time: Date | string | number | null | undefined): number =>
  time ? Math.floor(new Date(time).getTime() / 1000) : 0;
/** Zadig's task preview tags its times `omitempty`: a time not reached yet is left out. */
const secondsIfAny = <K extends string>(key: K, time: Date | string | null | undefined) =>
  (time ? { [key]: seconds(time) } : {}) as Partial<Record<K, number>>;

const Loose = Type.Unknown();
const OptionalTime = Type.Optional(Type.Integer());

// --- workflows (WorkflowBrief, OpenAPIWorkflowV4Detail) ---

export const WorkflowBrief = Type.Object({
  workflow_key: Type.String(),
  workflow_name: Type.String(),
  update_by: Type.String(),
  update_time: Type.Integer(),
  type: Type.String(),
});

export const workflowBrief = (row: WorkflowRow): Static<typeof WorkflowBrief> => ({
  workflow_key: row.name,
  workflow_name: row.displayName,
  update_by: row.updatedBy,
  update_time: seconds(row.updatedAt),
  // Zadig lists product workflows too ("product"); Stagecoach has custom workflows only.
  type: 'custom',
});

export const WorkflowDetail = Type.Object({
  workflow_key: Type.String(),
  workflow_name: Type.String(),
  project_key: Type.String(),
  description: Type.String(),
  created_by: Type.String(),
  create_time: Type.Integer(),
  updated_by: Type.String(),
  update_time: Type.Integer(),
  params: Type.Array(Loose),
  stages: Type.Array(Type.Object({ name: Type.String(), parallel: Type.Boolean(), jobs: Type.Array(Loose) })),
  notify_ctls: Type.Array(Loose),
  share_storages: Type.Array(Loose),
  concurrency_limit: Type.Integer(),
});

export function workflowDetail(row: WorkflowRow): Static<typeof WorkflowDetail> {
  const def = row.definition;
  return {
    workflow_key: row.name,
    workflow_name: row.displayName,
    project_key: row.project,
    description: def.description ?? '',
    created_by: row.createdBy,
    create_time: seconds(row.createdAt),
    updated_by: row.updatedBy,
    update_time: seconds(row.updatedAt),
    params: def.params ?? [],
    stages: def.stages.map((s) => ({ name: s.name, parallel: s.parallel ?? false, jobs: s.jobs })),
    notify_ctls: def.notify_ctls ?? [],
    share_storages: [],
    concurrency_limit: def.concurrency_limit ?? row.concurrencyLimit,
  };
}

// --- tasks (CreateTaskV4Resp, WorkflowTaskPreview, OpenAPIWorkflowV4TaskListResp) ---

export const TaskCreated = Type.Object({
  project_name: Type.String(),
  workflow_name: Type.String(),
  task_id: Type.Integer(),
});

const JobTaskPreview = Type.Object({
  name: Type.String(),
  key: Type.String(),
  display_name: Type.String(),
  type: Type.String(),
  status: Type.String(),
  reverted: Type.Boolean(),
  start_time: OptionalTime,
  end_time: OptionalTime,
  cost_seconds: Type.Integer(),
  error: Type.String(),
  spec: Loose,
  error_policy: Loose,
  retry_count: Type.Integer(),
});

const StageTaskPreview = Type.Object({
  name: Type.String(),
  status: Type.String(),
  start_time: OptionalTime,
  end_time: OptionalTime,
  parallel: Type.Boolean(),
  manual_exec: Loose,
  jobs: Type.Array(JobTaskPreview),
  error: Type.String(),
});

export const TaskPreview = Type.Object({
  task_id: Type.Integer(),
  workflow_key: Type.String(),
  workflow_name: Type.String(),
  project_key: Type.String(),
  params: Type.Array(Loose),
  status: Type.String(),
  reverted: Type.Boolean(),
  remark: Type.String(),
  task_creator: Type.String(),
  create_time: Type.Integer(),
  start_time: OptionalTime,
  end_time: OptionalTime,
  stages: Type.Array(StageTaskPreview),
  error: Type.Optional(Type.String()),
  is_restart: Type.Boolean(),
  debug: Type.Boolean(),
  approval_ticket_id: Type.String(),
  approval_id: Type.String(),
});

type RunDetail = ReturnType<typeof runDetail>;
type JobDetail = RunDetail['stages'][number]['jobs'][number];

/** An approval job's state as Zadig's native approval spec shows it: each approver with their vote, if any. */
function approvalSpec(approval: JobDetail['approval']) {
  if (!approval) return {};
  return {
    native_approval: {
      needed_approvers: approval.needed_approvers,
      approve_users: approval.approvers.map((user) => {
        const vote = approval.votes.find((v) => v.user === user);
        return vote
          ? {
              user_name: user,
              reject_or_approve: vote.approve ? 'approve' : 'reject',
              comment: vote.comment ?? '',
              operation_time: seconds(vote.time),
            }
          : { user_name: user };
      }),
    },
  };
}

/** The run's params as Zadig's Param list: the saved definition's params with this run's values. */
function paramsOf(values: Record<string, string>, params: readonly Param[] | undefined) {
  const defined = params ?? [];
  const known = new Set(defined.map((p) => p.name));
  return [
    ...defined.map((p) => ({
      name: p.name,
      description: p.description ?? '',
      type: p.type,
      // Credential values are not kept with the run's history: they are never shown.
      value: p.is_credential ? '' : (values[p.name] ?? ''),
      ...(p.choice_option ? { choice_option: p.choice_option } : {}),
      ...(p.type === 'multi-select' && values[p.name] ? { choice_value: values[p.name]!.split(',') } : {}),
      is_credential: p.is_credential ?? false,
    })),
    ...Object.entries(values)
      .filter(([name]) => !known.has(name))
      .map(([name, value]) => ({ name, description: '', type: 'string', value, is_credential: false })),
  ];
}

/**
 * A run as Zadig's `GET /openapi/workflows/custom/task` answers (WorkflowTaskPreview). Stage and job
 * settings (parallel, manual_exec, error_policy) come from `definition`, the saved workflow.
 */
export function taskPreview(
  detail: RunDetail,
  displayName: string,
  definition: WorkflowDefinition | undefined,
): Static<typeof TaskPreview> {
  const stageDefs = new Map<string, Stage>((definition?.stages ?? []).map((s) => [s.name, s]));
  return {
    task_id: detail.run_number,
    workflow_key: detail.workflow,
    workflow_name: displayName,
    project_key: detail.project,
    params: paramsOf(detail.params, definition?.params),
    status: detail.status,
    reverted: false,
    remark: detail.remark ?? '',
    task_creator: detail.creator,
    create_time: seconds(detail.created_at),
    ...secondsIfAny('start_time', detail.start_time),
    ...secondsIfAny('end_time', detail.end_time),
    stages: detail.stages.map((stage) => {
      const stageDef = stageDefs.get(stage.name);
      return {
        name: stage.name,
        status: stage.status,
        ...secondsIfAny('start_time', stage.start_time),
        ...secondsIfAny('end_time', stage.end_time),
        parallel: stageDef?.parallel ?? false,
        manual_exec: stageDef?.manual_exec ?? null,
        jobs: stage.jobs.map((job) => ({
          name: job.name,
          key: job.name,
          display_name: job.name,
          type: job.type,
          status: job.status,
          reverted: false,
          ...secondsIfAny('start_time', job.start_time),
          ...secondsIfAny('end_time', job.end_time),
          cost_seconds: job.start_time ? seconds(job.end_time ?? Date.now()) - seconds(job.start_time) : 0,
          error: job.error ?? '',
          spec: approvalSpec(job.approval),
          error_policy: stageDef?.jobs.find((j) => j.name === job.name)?.error_policy ?? null,
          retry_count: job.retry_count,
        })),
        error: '',
      };
    }),
    ...(detail.error ? { error: detail.error } : {}),
    is_restart: detail.retry_num > 0,
    debug: false,
    approval_ticket_id: '',
    approval_id: '',
  };
}

export const TaskBrief = Type.Object({
  workflow_key: Type.String(),
  workflow_name: Type.String(),
  project_key: Type.String(),
  task_id: Type.Integer(),
  create_time: Type.Integer(),
  task_creator: Type.String(),
  start_time: Type.Integer(),
  end_time: Type.Integer(),
  status: Type.String(),
});

export const TaskList = Type.Object({ total: Type.Integer(), workflow_tasks: Type.Array(TaskBrief) });

export const taskBrief = (row: RunRow, displayName: string): Static<typeof TaskBrief> => ({
  workflow_key: row.workflow,
  workflow_name: displayName,
  project_key: row.project,
  task_id: row.runNumber,
  create_time: seconds(row.createdAt),
  task_creator: row.creator,
  start_time: seconds(row.startTime),
  end_time: seconds(row.endTime),
  // OpenAPIGetCustomWorkflowTaskV4 lowercases the status (`notRun` reads `notrun`).
  status: row.status.toLowerCase(),
});

// --- manual-exec stages (OpenAPIManualExecWorkflowTaskV4Context) ---

export const ManualExecContext = Type.Object({
  project_key: Type.String(),
  workflow_key: Type.String(),
  task_id: Type.Integer(),
  status: Type.String(),
  stage_name: Type.String(),
  can_execute: Type.Boolean(),
  executors: Type.Array(
    Type.Object({
      type: Type.String(),
      user_id: Type.Optional(Type.String()),
      user_name: Type.Optional(Type.String()),
      group_id: Type.Optional(Type.String()),
      group_name: Type.Optional(Type.String()),
    }),
  ),
});

// --- views (OpenAPIWorkflowViewBrief) ---

export const ViewBrief = Type.Object({
  name: Type.String(),
  project_key: Type.String(),
  update_time: Type.Integer(),
  update_by: Type.String(),
  workflows: Type.Array(Type.Object({ workflow_key: Type.String(), workflow_type: Type.String() })),
});

export const viewBrief = (view: ViewRow, workflows: string[]): Static<typeof ViewBrief> => ({
  name: view.name,
  project_key: view.project,
  update_time: seconds(view.updatedAt),
  update_by: view.updatedBy,
  workflows: workflows.map((name) => ({ workflow_key: name, workflow_type: 'custom' })),
});
