import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { getWorkflow, listJobRuns, listRuns, type RunRow } from '@stagecoach/db';
import { ConflictError, NotFoundError, ValidationError } from '@stagecoach/platform';
import { approveJob, cancelRun, resumeStage, retryRun, runDefinition, startRun } from '@stagecoach/runs';
import { isListedUser } from '@stagecoach/spec';
import type { GatewayDeps } from '../deps.js';
import { findWorkflow } from '../lookups.js';
import { existingRun, runDetail, runServiceDeps } from '../routes/runs.routes.js';
import { Key, PageNumber, SerialNumber } from '../schemas.js';
import { Success, SUCCESS, zadigErrorResponses } from './errors.js';
import { inZadigTerms, RunBody, runChoice } from './run-request.js';
import { ManualExecContext, TaskCreated, TaskList, taskBrief, TaskPreview, taskPreview } from './shapes.js';
import { byBodyProjectKey, byProjectKey, byWorkflowKey, lookedUp } from './targets.js';

const tags = ['zadig-openapi'];
const TaskId = SerialNumber;
/** `GET/DELETE /custom/task`: Zadig names the run by workflow key and task id only; `projectKey` may narrow it. */
const TaskQuery = Type.Object({ workflowKey: Key, taskId: TaskId, projectKey: Type.Optional(Key) });
const TaskParams = Type.Object({ name: Key, taskId: TaskId });

/**
 * Zadig OpenAPI: runs ("tasks") of custom workflows. Each route maps onto the run operations of
 * packages/runs, so a run started, approved or resumed here behaves exactly as through /api/v1.
 */
export const zadigTaskRoutes: FastifyPluginAsyncTypebox<{ deps: GatewayDeps }> = async (app, { deps }) => {
  const runs = runServiceDeps(deps);
  const runOf = (project: string, workflow: string, taskId: number) =>
    existingRun(deps.db, { project, name: workflow, number: taskId });

  app.post(
    '/workflows/custom/task',
    {
      config: byBodyProjectKey('run', true),
      schema: {
        tags,
        description:
          'Zadig: run a custom workflow. `parameters` set workflow params; `inputs` lists the jobs to run ' +
          '(the others are skipped) and must not carry job parameters, which Stagecoach cannot apply.',
        body: RunBody,
        response: { 200: TaskCreated, ...zadigErrorResponses },
      },
    },
    async (request) => {
      const { project_key: project, workflow_key: workflow } = request.body;
      const row = await findWorkflow(deps.db, project, workflow);
      const choice = runChoice(row.definition, request.body);
      try {
        const started = await startRun(runs, { project, workflow, creator: request.caller!, ...choice });
        return { project_name: project, workflow_name: workflow, task_id: started.runNumber };
      } catch (err) {
        throw inZadigTerms(err, request.body);
      }
    },
  );

  app.get(
    '/workflows/custom/task',
    {
      config: byWorkflowKey('view', 'query'),
      schema: { tags, querystring: TaskQuery, response: { 200: TaskPreview, ...zadigErrorResponses } },
    },
    async (request) => {
      const { project, workflow } = lookedUp(request);
      const row = await runOf(project, workflow, request.query.taskId);
      const saved = await getWorkflow(deps.db, project, workflow);
      const detail = runDetail(row, await listJobRuns(deps.db, row.id));
      return taskPreview(detail, saved?.displayName ?? workflow, saved?.definition);
    },
  );

  app.delete(
    '/workflows/custom/task',
    {
      config: byWorkflowKey('run', 'query'),
      schema: { tags, querystring: TaskQuery, response: { 200: Success, ...zadigErrorResponses } },
    },
    async (request) => {
      const { project, workflow } = lookedUp(request);
      const row = await runOf(project, workflow, request.query.taskId);
      await cancelRun(runs, row.id);
      return SUCCESS;
    },
  );

  app.post(
    '/workflows/custom/task/approve',
    {
      config: byWorkflowKey('view', 'body'),
      schema: {
        tags,
        description:
          "Zadig: vote on a waiting approval. `stage_name` (Zadig's field) names the approval job or its stage; " +
          "`job_name` may be used instead. Only the job's approvers may vote.",
        body: Type.Object({
          workflow_key: Key,
          task_id: TaskId,
          stage_name: Type.Optional(Type.String({ minLength: 1 })),
          job_name: Type.Optional(Type.String({ minLength: 1 })),
          approve: Type.Boolean(),
          comment: Type.Optional(Type.String({ maxLength: 2000 })),
          project_key: Type.Optional(Key),
        }),
        response: { 200: Success, ...zadigErrorResponses },
      },
    },
    async (request) => {
      const { project, workflow } = lookedUp(request);
      const row = await runOf(project, workflow, request.body.task_id);
      const { job_name, stage_name, approve, comment } = request.body;
      const job = await approvalJobOf(row, job_name ? { job_name } : { stage_name });
      // Both named: they must agree, or the vote could land on an approval the caller did not mean.
      if (
        job_name &&
        stage_name &&
        !row.stages.some((s) => s.name === stage_name && s.jobs.some((j) => j.name === job))
      ) {
        throw new ValidationError('the approval job and stage disagree', [
          { path: 'stage_name', message: `approval job "${job}" is not in stage "${stage_name}"` },
        ]);
      }
      await approveJob(runs, row.id, { job, approve, comment, user: request.caller! });
      return SUCCESS;
    },
  );

  /** The approval job a Zadig approve call means: a job of that name, else the approval job of that stage. */
  async function approvalJobOf(row: RunRow, named: { job_name?: string; stage_name?: string }): Promise<string> {
    const [field, name] = Object.entries(named)[0] ?? [];
    if (!field || !name) {
      throw new ValidationError('the approval is not named', [{ path: 'stage_name', message: 'required' }]);
    }
    if (row.stages.some((s) => s.jobs.some((j) => j.name === name && j.type === 'approval'))) return name;
    const approvals = row.stages.find((s) => s.name === name)?.jobs.filter((j) => j.type === 'approval') ?? [];
    if (approvals.length > 1) {
      const waiting = (await listJobRuns(deps.db, row.id)).filter(
        (j) => j.status === 'wait_for_approval' && approvals.some((a) => a.name === j.job),
      );
      if (waiting.length === 1) return waiting[0]!.job;
      throw new ValidationError('the stage has several approval jobs', [
        { path: 'job_name', message: `required: stage "${name}" has ${approvals.map((a) => a.name).join(', ')}` },
      ]);
    }
    if (approvals.length === 1) return approvals[0]!.name;
    throw new ValidationError('no such approval', [
      {
        path: field,
        message: `no approval job or stage with an approval job named "${name}" in task ${row.runNumber}`,
      },
    ]);
  }

  app.post(
    '/workflows/custom/:name/task/:taskId',
    {
      config: byWorkflowKey('run', 'query'),
      schema: {
        tags,
        description: 'Zadig: retry a failed, timed-out, cancelled or rejected task under the same task id.',
        params: TaskParams,
        querystring: Type.Object({ projectKey: Type.Optional(Key) }),
        response: { 200: Success, ...zadigErrorResponses },
      },
    },
    async (request) => {
      const { project, workflow } = lookedUp(request);
      const row = await runOf(project, workflow, request.params.taskId);
      await retryRun(runs, row.id);
      return SUCCESS;
    },
  );

  app.get(
    '/workflows/custom/:name/tasks',
    {
      config: byProjectKey('view', true),
      schema: {
        tags,
        params: Type.Object({ name: Key }),
        querystring: Type.Object({
          projectKey: Key,
          pageNum: PageNumber,
          pageSize: Type.Integer({ minimum: 1, maximum: 1000, default: 10 }),
        }),
        response: { 200: TaskList, ...zadigErrorResponses },
      },
    },
    async (request) => {
      const { projectKey, pageNum, pageSize } = request.query;
      const saved = await getWorkflow(deps.db, projectKey, request.params.name);
      if (!saved) throw new NotFoundError(`workflow "${projectKey}/${request.params.name}" not found`);
      const page = await listRuns(deps.db, {
        project: projectKey,
        workflow: saved.name,
        limit: pageSize,
        offset: (pageNum - 1) * pageSize,
      });
      return { total: page.total, workflow_tasks: page.runs.map((row) => taskBrief(row, saved.displayName)) };
    },
  );

  const manualExecPath = '/workflows/custom/:name/task/:taskId/manual-exec';
  const ManualExecQuery = Type.Object({ projectKey: Key });

  app.get(
    manualExecPath,
    {
      config: byProjectKey('view', true),
      schema: {
        tags,
        description: 'Zadig: the manual stage a paused task waits at, who may execute it, and whether the caller may.',
        params: TaskParams,
        querystring: ManualExecQuery,
        response: { 200: ManualExecContext, ...zadigErrorResponses },
      },
    },
    async (request) => {
      const { projectKey } = request.query;
      const row = await runOf(projectKey, request.params.name, request.params.taskId);
      const stage = row.status === 'pause' ? row.stages.find((s) => s.status === 'pause') : undefined;
      if (!stage) throw new ConflictError(`task ${row.runNumber} is not waiting for a manual stage (${row.status})`);
      // The run checks the users its definition was frozen with; so does this answer.
      const definition = await runDefinition(runs, row.id);
      const users = definition.stages.find((s) => s.name === stage.name)?.manual_exec?.manual_exec_users ?? [];
      return {
        project_key: row.project,
        workflow_key: row.workflow,
        task_id: row.runNumber,
        status: row.status,
        stage_name: stage.name,
        can_execute: isListedUser(users, request.caller!, row.creator),
        executors: users.map((u) =>
          u.type === 'task_creator'
            ? { type: 'task_creator', user_name: row.creator }
            : u.type === 'group'
              ? { type: 'group', group_id: u.group_id ?? '', group_name: u.group_name ?? '' }
              : { type: 'user', user_id: u.user_id ?? '', user_name: u.user_name ?? '' },
        ),
      };
    },
  );

  app.post(
    manualExecPath,
    {
      config: byProjectKey('view', true),
      schema: {
        tags,
        description: "Zadig: execute the manual stage a task is paused at; only the stage's listed users may.",
        params: TaskParams,
        querystring: ManualExecQuery,
        body: Type.Object({ stage_name: Type.String({ minLength: 1 }) }),
        response: { 200: Success, ...zadigErrorResponses },
      },
    },
    async (request) => {
      const row = await runOf(request.query.projectKey, request.params.name, request.params.taskId);
      await resumeStage(runs, row.id, { stage: request.body.stage_name, user: request.caller! });
      return SUCCESS;
    },
  );
};
