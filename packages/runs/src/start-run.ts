import type { Client } from '@temporalio/client';
import {
  PIPELINE_RUN_WORKFLOW,
  SA_CREATOR,
  SA_PROJECT,
  SA_RUN_NUMBER,
  SA_STATUS,
  SA_WORKFLOW,
  TASK_QUEUE,
  runUrl,
  runWorkflowId,
  type RunInput,
  type StageResult,
} from '@stagecoach/contracts';
import {
  allocateRunNumber,
  deleteRun,
  getProject,
  getWorkflow,
  insertRun,
  storeRunSecrets,
  withTransaction,
  type Db,
} from '@stagecoach/db';
import { ConflictError, NotFoundError, ValidationError, type SecretBox } from '@stagecoach/platform';
import { builtinValues, renderJob, resolveRunParams, type WorkflowDefinition } from '@stagecoach/spec';
import { expandStageApprovals, selectJobs, type JobSelection } from './prepare-definition.js';

export interface RunServiceDeps {
  db: Db;
  temporal: Client;
  box: SecretBox;
  taskQueue?: string;
  /** base of links in notifications and variables (STAGECOACH_PUBLIC_URL) */
  publicUrl?: string;
}

export interface StartRunRequest extends JobSelection {
  project: string;
  workflow: string;
  creator: string;
  params?: Record<string, string>;
  remark?: string;
}

export interface StartedRun {
  runId: string;
  runNumber: number;
}

/**
 * The one way a run begins (gateway, trigger service, timers): check the workflow accepts runs,
 * resolve params, freeze the first-pass-rendered definition, allocate the number and insert the row
 * in one transaction, then start `pipelineRun`. If Temporal refuses the start, the row is removed
 * again so nothing is left half-made.
 */
export async function startRun(deps: RunServiceDeps, req: StartRunRequest): Promise<StartedRun> {
  const [project, workflow] = await Promise.all([
    getProject(deps.db, req.project),
    getWorkflow(deps.db, req.project, req.workflow),
  ]);
  if (!project) throw new NotFoundError(`project "${req.project}" not found`);
  if (!workflow) throw new NotFoundError(`workflow "${req.project}/${req.workflow}" not found`);
  const definition = workflow.definition;
  if (definition.disabled) throw new ConflictError(`workflow "${req.workflow}" is disabled`);
  if (definition.remark_required && !req.remark?.trim()) {
    throw new ValidationError('a remark is required to run this workflow', [{ path: 'remark', message: 'required' }]);
  }
  const params = resolveRunParams(definition.params ?? [], req.params);
  if (!params.ok) throw new ValidationError('invalid run params', params.issues);
  const selected = selectJobs(expandStageApprovals(definition), req);

  const createdAt = Date.now();
  const { runId, runNumber } = await withTransaction(deps.db, async (tx) => {
    const runNumber = await allocateRunNumber(tx, req.project, req.workflow);
    const runId = runWorkflowId(req.project, req.workflow, runNumber);
    await insertRun(tx, {
      project: req.project,
      workflow: req.workflow,
      runNumber,
      creator: req.creator,
      remark: req.remark,
      params: params.values,
      stages: skeleton(selected),
      createdAt: new Date(createdAt),
      notifyCtls: {
        workflow: selected.notify_ctls ?? [],
        jobs: Object.fromEntries(selected.stages.flatMap((st) => st.jobs.map((j) => [j.name, j.notify_ctls ?? []]))),
        displayName: definition.display_name ?? req.workflow,
      },
    });
    await storeRunSecrets(tx, runId, params.secrets, deps.box);
    return { runId, runNumber };
  });

  const url = deps.publicUrl ? runUrl(deps.publicUrl, req.project, req.workflow, runNumber) : undefined;
  const builtins = builtinValues({
    project: req.project,
    projectDisplayName: project.displayName,
    workflow: req.workflow,
    workflowDisplayName: definition.display_name ?? req.workflow,
    runNumber,
    creator: req.creator,
    timestampMs: createdAt,
    url,
    params: params.values,
  });
  const input: RunInput = {
    version: 1,
    project: req.project,
    projectDisplayName: project.displayName,
    workflow: req.workflow,
    runNumber,
    creator: req.creator,
    remark: req.remark,
    createdAt,
    // First render pass: what is known now. Upstream outputs and credential params stay for later.
    definition: { ...selected, stages: renderJob(selected.stages, builtins) },
    params: params.values,
    secretParams: Object.keys(params.secrets),
    url,
  };
  try {
    await deps.temporal.workflow.start(PIPELINE_RUN_WORKFLOW, {
      workflowId: runId,
      taskQueue: deps.taskQueue ?? TASK_QUEUE,
      args: [input],
      typedSearchAttributes: [
        { key: SA_PROJECT, value: req.project },
        { key: SA_WORKFLOW, value: req.workflow },
        { key: SA_RUN_NUMBER, value: runNumber },
        { key: SA_CREATOR, value: req.creator },
        { key: SA_STATUS, value: 'created' },
      ],
    });
  } catch (err) {
    await deleteRun(deps.db, runId);
    throw err;
  }
  return { runId, runNumber };
}

/** Every stage and job, not yet started, so a run shows its whole shape before the first event. */
function skeleton(definition: WorkflowDefinition): StageResult[] {
  return definition.stages.map((stage) => ({
    name: stage.name,
    status: '',
    jobs: stage.jobs.map((job) => ({ name: job.name, type: job.type, status: '' })),
  }));
}
