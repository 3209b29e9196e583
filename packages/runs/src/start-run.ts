import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import {
  PIPELINE_RUN_WORKFLOW,
  SA_CREATOR,
  SA_PROJECT,
  SA_RUN_NUMBER,
  SA_STATUS,
  SA_WORKFLOW,
  TASK_QUEUE,
  credentialKey,
  runUrl,
  runWorkflowId,
  type RunInput,
  type StageResult,
} from '@stagecoach/contracts';
import {
  deleteRun,
  getProject,
  insertRunTakingNumber,
  lockWorkflowToRun,
  storeRunSecrets,
  withTransaction,
  type Db,
  type Tx,
} from '@stagecoach/db';
import { ConflictError, NotFoundError, ValidationError, type SecretBox } from '@stagecoach/platform';
import {
  builtinValues,
  renderJob,
  renderNotifyCtls,
  resolveRunParams,
  takeChannelSecrets,
  type Job,
  type Stage,
  type Status,
  type WorkflowDefinition,
} from '@stagecoach/spec';
import { expandStageApprovals, jobSelectionIssues, selectJobs, type JobSelection } from './prepare-definition.js';
import { resolveUserGroups } from './resolve-user-groups.js';

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
  /** extra render variables a trigger supplies (`payload.*`, `payload.trigger.*`) */
  variables?: Record<string, string>;
}

export interface StartedRun {
  runId: string;
  runNumber: number;
}

/** A run whose number and row exist but whose Temporal execution may not yet. */
export interface PreparedRun extends StartedRun {
  input: RunInput;
}

/**
 * The one way a run begins (gateway, trigger service, timers): prepare it in one transaction, then
 * launch it. If Temporal refuses the start, the row is removed again so nothing is left half-made.
 */
export async function startRun(deps: RunServiceDeps, req: StartRunRequest): Promise<StartedRun> {
  const prepared = await withTransaction(deps.db, (tx) => prepareRun(deps, tx, req));
  try {
    await launchRun(deps, prepared.input);
  } catch (err) {
    await deleteRun(deps.db, prepared.runId);
    throw err;
  }
  return { runId: prepared.runId, runNumber: prepared.runNumber };
}

/**
 * Checks the workflow accepts runs, resolves params, freezes the first-pass-rendered definition,
 * allocates the number and inserts the row, all within `tx`: a caller that records more in the same
 * transaction (the trigger service records the delivery) gets all of it or none of it. A refused start
 * has written nothing (no row, no number taken); the workflow row stays locked until `tx` ends.
 */
export async function prepareRun(deps: RunServiceDeps, tx: Tx, req: StartRunRequest): Promise<PreparedRun> {
  // From here until `tx` ends, this start holds the workflow row: the number read is the one it takes.
  const workflow = await lockWorkflowToRun(tx, req.project, req.workflow);
  if (!workflow) {
    if (!(await getProject(tx, req.project))) throw new NotFoundError(`project "${req.project}" not found`);
    throw new NotFoundError(`workflow "${req.project}/${req.workflow}" not found`);
  }
  const definition = workflow.definition;
  if (definition.disabled) throw new ConflictError(`workflow "${req.workflow}" is disabled`);
  if (definition.remark_required && !req.remark?.trim()) {
    throw new ValidationError('a remark is required to run this workflow', [{ path: 'remark', message: 'required' }]);
  }
  const params = resolveRunParams(definition.params ?? [], req.params);
  // Both are the caller's choices: one answer names every problem with either.
  const selectionIssues = jobSelectionIssues(expandStageApprovals(definition), req);
  if (!params.ok || selectionIssues.length > 0) {
    const paramIssues = params.ok ? [] : params.issues;
    const what = [paramIssues.length > 0 && 'run params', selectionIssues.length > 0 && 'job selection'];
    throw new ValidationError(`invalid ${what.filter(Boolean).join(' and ')}`, [...paramIssues, ...selectionIssues]);
  }
  // Groups become their members here, in this transaction: an unknown group refuses the run before anything is written.
  const withUsers = await resolveUserGroups(tx, definition, req.creator);
  const selected = selectJobs(expandStageApprovals(withUsers), req);

  const createdAt = Date.now();
  const runNumber = workflow.nextRunNumber;
  const runId = runWorkflowId(req.project, req.workflow, runNumber);
  const url = deps.publicUrl ? runUrl(deps.publicUrl, req.project, req.workflow, runNumber) : undefined;
  const builtins = {
    ...builtinValues({
      project: req.project,
      projectDisplayName: workflow.projectDisplayName,
      workflow: req.workflow,
      workflowDisplayName: definition.display_name ?? req.workflow,
      runNumber,
      creator: req.creator,
      timestampMs: createdAt,
      url,
      params: params.values,
    }),
    ...req.variables,
  };
  // The author's credential placeholders take the run's own key now, in the pass that never re-reads
  // what it substitutes: a payload value that spells one is left as text, and blanked later.
  const secretMarker = `secret-${randomBytes(16).toString('hex')}`;
  const credentialPlaceholders = Object.fromEntries(
    Object.keys(params.secrets).map((name) => [`workflow.params.${name}`, `{{.${credentialKey(name, secretMarker)}}}`]),
  );
  // First render pass: what is known now. Upstream outputs and credential params stay for later.
  const firstPass = { ...builtins, ...credentialPlaceholders };
  const renderCtl = <T>(value: T): T => renderJob(value, firstPass);
  await insertRunTakingNumber(tx, {
    project: req.project,
    workflow: req.workflow,
    runNumber,
    creator: req.creator,
    remark: req.remark,
    params: params.values,
    stages: skeleton(selected),
    createdAt: new Date(createdAt),
    // Recipients and texts may use run variables: the ones known now are filled in when the run is frozen.
    notifyCtls: {
      workflow: renderNotifyCtls(selected.notify_ctls ?? [], renderCtl),
      jobs: Object.fromEntries(
        selected.stages.flatMap((st) => st.jobs.map((j) => [j.name, renderNotifyCtls(j.notify_ctls ?? [], renderCtl)])),
      ),
      // The notifier fills the credential placeholders in from run_secrets when it sends.
      ...(Object.keys(params.secrets).length > 0 ? { secretMarker } : {}),
      displayName: definition.display_name ?? req.workflow,
      ...(req.variables && Object.keys(req.variables).length > 0 ? { variables: req.variables } : {}),
    },
  });
  await storeRunSecrets(tx, runId, params.secrets, deps.box);
  const { stages, channels } = sealChannels(renderJob(selected.stages, firstPass));
  await storeRunSecrets(tx, runId, channels, deps.box, 'channel');

  const input: RunInput = {
    version: 2,
    project: req.project,
    projectDisplayName: workflow.projectDisplayName,
    workflow: req.workflow,
    runNumber,
    creator: req.creator,
    remark: req.remark,
    createdAt,
    definition: withoutSecrets({ ...selected, stages }),
    params: params.values,
    secretParams: Object.keys(params.secrets),
    secretMarker,
    url,
    ...(req.variables && Object.keys(req.variables).length > 0 ? { variables: req.variables } : {}),
  };
  return { runId, runNumber, input };
}

/** Starts `pipelineRun` for a prepared run. Its workflow id is the run id, so a second call is refused. */
export async function launchRun(deps: RunServiceDeps, input: RunInput): Promise<void> {
  await deps.temporal.workflow.start(PIPELINE_RUN_WORKFLOW, {
    workflowId: runWorkflowId(input.project, input.workflow, input.runNumber),
    taskQueue: deps.taskQueue ?? TASK_QUEUE,
    args: [input],
    typedSearchAttributes: [
      { key: SA_PROJECT, value: input.project },
      { key: SA_WORKFLOW, value: input.workflow },
      { key: SA_RUN_NUMBER, value: input.runNumber },
      { key: SA_CREATOR, value: input.creator },
      { key: SA_STATUS, value: statusAtStart(input) },
    ],
  });
}

/**
 * The status a run's execution starts with, for the Temporal Web UI: a run that waits for no concurrency
 * slot is running as soon as it exists, and starting it so spares its first workflow task the upsert.
 */
function statusAtStart(input: RunInput): Status {
  return (input.definition.concurrency_limit ?? -1) > 0 ? 'created' : 'running';
}

/**
 * The definition as Temporal may hold it: without its notify_ctls, workflow-level and per job (the
 * notifier reads them from the run row, the run never does, and their hook addresses, tokens and
 * signing secrets stay out), and without the default values of credential params (the run's values
 * are sealed in run_secrets; the definition's params are only its shape).
 */
function withoutSecrets(definition: WorkflowDefinition): WorkflowDefinition {
  const { notify_ctls: _workflowLevel, ...rest } = definition;
  return {
    ...rest,
    ...(rest.params ? { params: rest.params.map((p) => (p.is_credential ? { ...p, value: '' } : p)) } : {}),
    stages: rest.stages.map((stage) => ({
      ...stage,
      jobs: stage.jobs.map(({ notify_ctls: _jobLevel, ...job }) => job),
    })),
  };
}

/**
 * Takes the channel credentials (hook addresses, signing keys) out of the notification jobs; what it
 * returns per job name is what the job's activity opens again.
 */
function sealChannels(stages: Stage[]): { stages: Stage[]; channels: Record<string, string> } {
  const channels: Record<string, string> = {};
  const sealed = stages.map((stage) => ({
    ...stage,
    jobs: stage.jobs.map((job) => {
      if (job.type !== 'notification') return job;
      const { spec, secrets } = takeChannelSecrets(job.spec as Record<string, unknown>);
      if (Object.keys(secrets).length > 0) channels[job.name] = JSON.stringify(secrets);
      return { ...job, spec } as Job;
    }),
  }));
  return { stages: sealed, channels };
}

/** Every stage and job, not yet started, so a run shows its whole shape before the first event. */
function skeleton(definition: WorkflowDefinition): StageResult[] {
  return definition.stages.map((stage) => ({
    name: stage.name,
    status: '',
    jobs: stage.jobs.map((job) => ({ name: job.name, type: job.type, status: '' })),
  }));
}
