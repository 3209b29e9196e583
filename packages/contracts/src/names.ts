// Names recorded in Temporal history and on NATS: never rename one after release.

export const TASK_QUEUE = 'stagecoach-orchestration';
export const PIPELINE_RUN_WORKFLOW = 'pipelineRunWorkflow';
export const CONCURRENCY_GATE_WORKFLOW = 'concurrencyGateWorkflow';

export const EVENTS_STREAM = 'STAGECOACH_EVENTS';
export const EVENTS_SUBJECT_PREFIX = 'stagecoach.events';
export const LOGS_STREAM = 'STAGECOACH_LOGS';
export const LOGS_SUBJECT_PREFIX = 'stagecoach.logs';

/** Temporal workflow id of a run: deterministic, so starting twice is idempotent. */
export function runWorkflowId(project: string, workflow: string, runNumber: number): string {
  return `${project}/${workflow}/${runNumber}`;
}

/** The run's page under the public base URL (STAGECOACH_PUBLIC_URL): `{{.workflow.task.url}}` and notification links. */
export function runUrl(publicUrl: string, project: string, workflow: string, runNumber: number): string {
  return `${publicUrl.replace(/\/$/, '')}/api/v1/projects/${encodeURIComponent(project)}/workflows/${encodeURIComponent(workflow)}/runs/${runNumber}`;
}

export function concurrencyGateWorkflowId(project: string, workflow: string): string {
  return `gate/${project}/${workflow}`;
}

/** NATS subject tokens may not contain '.', '*', '>' or whitespace. */
export function subjectToken(value: string): string {
  return value.replace(/[.*>\s]/g, '_');
}

export const TIMER_FIRE_WORKFLOW = 'timerFireWorkflow';

/** Temporal schedule of a timer trigger: one per trigger, named after it. */
export function timerScheduleId(triggerId: string): string {
  return `timer/${triggerId}`;
}

/** An approver's personal approval page under the public base URL. */
export function approvalPageUrl(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/$/, '')}/approvals/${token}`;
}
