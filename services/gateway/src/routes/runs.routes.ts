import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { runWorkflowId, type ApprovalState } from '@stagecoach/contracts';
import {
  getRun,
  getWorkflow,
  listJobRuns,
  listRuns,
  type Db,
  type JobRunRow,
  type ListRunsQuery,
  type RunRow,
} from '@stagecoach/db';
import { NotFoundError, ValidationError } from '@stagecoach/platform';
import {
  approveJob,
  cancelRun,
  decideJob,
  resumeStage,
  retryRun,
  startRun,
  type RunServiceDeps,
} from '@stagecoach/runs';
import { STATUSES, type Status } from '@stagecoach/spec';
import type { GatewayDeps } from '../deps.js';
import { errorResponses, PageNumber, RunDetail, RunParams, RunSummary, WorkflowParams } from '../schemas.js';
import { access, inProject } from '../access/rules.js';

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);
const isoMs = (ms: number | undefined) => (ms ? new Date(ms).toISOString() : null);

export function runSummary(row: RunRow) {
  return {
    run_number: row.runNumber,
    status: row.status,
    creator: row.creator,
    remark: row.remark,
    retry_num: row.retryNum,
    created_at: iso(row.createdAt),
    start_time: iso(row.startTime),
    end_time: iso(row.endTime),
    error: row.error,
  };
}

function approvalBody(approval: ApprovalState | null | undefined) {
  if (!approval) return null;
  return {
    approvers: approval.approvers,
    needed_approvers: approval.neededApprovers,
    votes: approval.votes.map((v) => ({
      user: v.user,
      approve: v.approve,
      comment: v.comment ?? null,
      time: new Date(v.time).toISOString(),
    })),
  };
}

/** A run as its detail page shows it: the projected jobs (job_runs) over the run's stage skeleton. */
export function runDetail(row: RunRow, jobRows: JobRunRow[]) {
  const byName = new Map(jobRows.map((j) => [j.job, j]));
  return {
    ...runSummary(row),
    project: row.project,
    workflow: row.workflow,
    params: row.params,
    stages: row.stages.map((stage) => ({
      name: stage.name,
      status: stage.status,
      start_time: isoMs(stage.startTime),
      end_time: isoMs(stage.endTime),
      jobs: stage.jobs.map((job) => {
        const projected = byName.get(job.name);
        return {
          name: job.name,
          type: job.type,
          status: projected?.status ?? job.status,
          start_time: iso(projected?.startTime),
          end_time: iso(projected?.endTime),
          error: projected?.error ?? null,
          outputs: projected?.outputs ?? {},
          retry_count: projected?.retryCount ?? 0,
          approval: approvalBody(projected?.approval),
        };
      }),
    })),
  };
}

const RunCreated = Type.Object({ run_number: Type.Integer(), run_id: Type.String() });

/** What the run operations (packages/runs) need from the gateway's dependencies. */
export const runServiceDeps = (deps: GatewayDeps): RunServiceDeps => ({
  db: deps.db,
  temporal: deps.temporal,
  box: deps.box,
  taskQueue: deps.taskQueue,
  publicUrl: deps.publicUrl,
});

/** The projected run `number` of project/workflow `name`; 404 when there is none. */
export async function existingRun(db: Db, p: { project: string; name: string; number: number }): Promise<RunRow> {
  const row = await getRun(db, runWorkflowId(p.project, p.name, p.number));
  if (!row) throw new NotFoundError(`run ${p.number} of "${p.project}/${p.name}" not found`);
  return row;
}

/** The job of `run` so named, or a 404 (a run holds the jobs it was started with). */
export function ensureRunHasJob(run: RunRow, job: string): RunRow['stages'][number]['jobs'][number] {
  const found = run.stages.flatMap((s) => s.jobs).find((j) => j.name === job);
  if (!found) throw new NotFoundError(`run ${run.runNumber} has no job "${job}"`);
  return found;
}

/** 404 for a stage `run` does not hold. */
function ensureRunHasStage(run: RunRow, stage: string): void {
  if (!run.stages.some((s) => s.name === stage))
    throw new NotFoundError(`run ${run.runNumber} has no stage "${stage}"`);
}

/** A page of a workflow's runs, newest first, with the total matching; 404 when the workflow does not exist. */
/**
 * A workflow's runs, newest first. A deleted workflow's runs stay history, listed as each of them is still
 * read: only a key that names no workflow and never ran is unknown.
 */
export async function listWorkflowRuns(db: Db, query: ListRunsQuery) {
  const result = await listRuns(db, query);
  const known = async () =>
    (await getWorkflow(db, query.project, query.workflow)) !== undefined ||
    (await listRuns(db, { project: query.project, workflow: query.workflow, limit: 1, offset: 0 })).total > 0;
  if (result.total === 0 && !(await known()))
    throw new NotFoundError(`workflow "${query.project}/${query.workflow}" not found`);
  return { total: result.total, runs: result.runs.map(runSummary) };
}

export const runRoutes: FastifyPluginAsyncTypebox<{ deps: GatewayDeps }> = async (app, { deps }) => {
  const runs = runServiceDeps(deps);
  const idOf = (p: { project: string; name: string; number: number }) => runWorkflowId(p.project, p.name, p.number);
  const existing = (p: { project: string; name: string; number: number }) => existingRun(deps.db, p);

  app.post(
    '/projects/:project/workflows/:name/runs',
    {
      config: access(inProject('run')),
      schema: {
        tags: ['runs'],
        description:
          'Start a run. `params` are the workflow params by name; `skip_jobs` / `run_jobs` select jobs as the run dialog does.',
        params: WorkflowParams,
        body: Type.Object(
          {
            params: Type.Optional(Type.Record(Type.String(), Type.String())),
            remark: Type.Optional(Type.String({ maxLength: 2000 })),
            skip_jobs: Type.Optional(Type.Array(Type.String())),
            run_jobs: Type.Optional(Type.Array(Type.String())),
          },
          { additionalProperties: false },
        ),
        response: { 201: RunCreated, ...errorResponses },
      },
      // Every field is optional, so no body at all (`curl -X POST …/runs`) starts a run with the defaults.
      preValidation: async (request) => {
        if (request.body === undefined) request.body = {};
      },
    },
    async (request, reply) => {
      const started = await startRun(runs, {
        project: request.params.project,
        workflow: request.params.name,
        creator: request.caller!,
        ...request.body,
      });
      return reply.status(201).send({ run_number: started.runNumber, run_id: started.runId });
    },
  );

  app.get(
    '/projects/:project/workflows/:name/runs',
    {
      config: access(inProject('view')),
      schema: {
        tags: ['runs'],
        params: WorkflowParams,
        querystring: Type.Object({
          status: Type.Optional(Type.String({ description: 'statuses, comma-separated (`failed,timeout`)' })),
          creator: Type.Optional(Type.String()),
          page: PageNumber,
          page_size: Type.Integer({ minimum: 1, maximum: 200, default: 20 }),
        }),
        response: { 200: Type.Object({ total: Type.Integer(), runs: Type.Array(RunSummary) }), ...errorResponses },
      },
    },
    async (request) => {
      const { page, page_size, status, creator } = request.query;
      return listWorkflowRuns(deps.db, {
        project: request.params.project,
        workflow: request.params.name,
        status: statusFilter(status),
        // Empty means no filter, as `status=` does and gRPC's creator does.
        creator: creator || undefined,
        limit: page_size,
        offset: (page - 1) * page_size,
      });
    },
  );

  app.get(
    '/projects/:project/workflows/:name/runs/:number',
    {
      config: access(inProject('view')),
      schema: { tags: ['runs'], params: RunParams, response: { 200: RunDetail, ...errorResponses } },
    },
    async (request) => {
      const row = await existing(request.params);
      return runDetail(row, await listJobRuns(deps.db, row.id));
    },
  );

  app.post(
    '/projects/:project/workflows/:name/runs/:number/cancel',
    {
      config: access(inProject('run')),
      schema: {
        tags: ['runs'],
        params: RunParams,
        response: { 202: Type.Object({ status: Type.String() }), ...errorResponses },
      },
    },
    async (request, reply) => {
      await existing(request.params);
      await cancelRun(runs, idOf(request.params));
      return reply.status(202).send({ status: 'cancelling' });
    },
  );

  app.post(
    '/projects/:project/workflows/:name/runs/:number/retry',
    {
      config: access(inProject('run')),
      schema: {
        tags: ['runs'],
        params: RunParams,
        response: { 202: Type.Object({ retry_num: Type.Integer() }), ...errorResponses },
      },
    },
    async (request, reply) => {
      await existing(request.params);
      const { retryNum } = await retryRun(runs, idOf(request.params));
      return reply.status(202).send({ retry_num: retryNum });
    },
  );

  app.post(
    '/projects/:project/workflows/:name/runs/:number/approvals',
    {
      config: access(inProject('view')),
      schema: {
        tags: ['runs'],
        description: "Vote on an approval job. Only the job's approvers may vote, once each; any reject wins at once.",
        params: RunParams,
        body: Type.Object(
          {
            job: Type.String({ minLength: 1 }),
            approve: Type.Boolean(),
            comment: Type.Optional(Type.String({ maxLength: 2000 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ ok: Type.Boolean() }), ...errorResponses },
      },
    },
    async (request) => {
      ensureRunHasJob(await existing(request.params), request.body.job);
      await approveJob(runs, idOf(request.params), { ...request.body, user: request.caller! });
      return { ok: true };
    },
  );

  app.post(
    '/projects/:project/workflows/:name/runs/:number/resume',
    {
      config: access(inProject('view')),
      schema: {
        tags: ['runs'],
        description:
          'Execute a manual-exec stage the run is paused at, optionally with edited job inputs (job name -> spec fields).',
        params: RunParams,
        body: Type.Object(
          {
            stage: Type.String({ minLength: 1 }),
            inputs: Type.Optional(Type.Record(Type.String(), Type.Record(Type.String(), Type.Unknown()))),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ ok: Type.Boolean() }), ...errorResponses },
      },
    },
    async (request) => {
      ensureRunHasStage(await existing(request.params), request.body.stage);
      await resumeStage(runs, idOf(request.params), {
        stage: request.body.stage,
        inputs: request.body.inputs,
        user: request.caller!,
      });
      return { ok: true };
    },
  );

  app.post(
    '/projects/:project/workflows/:name/runs/:number/decisions',
    {
      config: access(inProject('view')),
      schema: {
        tags: ['runs'],
        description:
          'Decide on a failed job whose error policy is manual_check: ignore (job becomes unstable, run continues) or reject.',
        params: RunParams,
        body: Type.Object(
          {
            job: Type.String({ minLength: 1 }),
            decision: Type.Enum(['ignore', 'reject']),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ ok: Type.Boolean() }), ...errorResponses },
      },
    },
    async (request) => {
      ensureRunHasJob(await existing(request.params), request.body.job);
      await decideJob(runs, idOf(request.params), { ...request.body, user: request.caller! });
      return { ok: true };
    },
  );
};

const RUN_STATUSES = new Set<string>(STATUSES.filter((status) => status !== ''));

/** The runs list's `status` filter: each of its comma-separated statuses one Zadig knows, or a 400 naming the others. */
function statusFilter(value: string | undefined): Status[] | undefined {
  return value ? runStatuses(value.split(','), 'querystring.status') : undefined;
}

/** Run statuses a caller filters by, each a known one: any other is a 400 at `path`, not an empty list. */
export function runStatuses(statuses: readonly string[], path: string): Status[] {
  const unknown = statuses.filter((status) => !RUN_STATUSES.has(status));
  if (unknown.length > 0) {
    throw new ValidationError(`unknown run status ${unknown.map((status) => JSON.stringify(status)).join(', ')}`, [
      { path, message: `expected any of ${[...RUN_STATUSES].join(', ')}` },
    ]);
  }
  return statuses as Status[];
}
