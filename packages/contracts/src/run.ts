import type { Status, WorkflowDefinition } from '@stagecoach/spec';

export interface RunCreator {
  /** display name or one of webhook, timer, jira_hook, meego_hook, general_hook, workflow_trigger */
  name: string;
}

/**
 * Everything a run needs, frozen when it is created. Versioned from day one: version 2 runs take every
 * workflow change released before it without a patch check (see the run workflow).
 */
export interface RunInput {
  version: 1 | 2;
  project: string;
  projectDisplayName: string;
  workflow: string;
  runNumber: number;
  creator: string;
  remark?: string;
  /** Unix milliseconds when the run was created (the gateway's clock, not the workflow's). */
  createdAt: number;
  /** Definition after the first render pass (statically known values substituted). */
  definition: WorkflowDefinition;
  /** Non-credential param values by name. Credential values never enter Temporal; see secretParams. */
  params: Record<string, string>;
  /** Names of credential params: their values live encrypted in PostgreSQL and only activities read them. */
  secretParams: string[];
  /**
   * The run's own prefix for credential placeholders (see credentialKey). Absent in runs started before
   * it, whose placeholders stayed `{{.workflow.params.<name>}}`.
   */
  secretMarker?: string;
  /** Set on retry: what the previous execution of this run left behind. */
  resume?: RunResumeState;
  /** The run's page (`{{.workflow.task.url}}`), when a public URL is configured. */
  url?: string;
  /** Render variables a trigger supplied (`payload.*`, `payload.trigger.*`); never credentials. */
  variables?: Record<string, string>;
}

/**
 * The render key a credential param's placeholder has once the run is frozen: `<marker>.<name>`, a key
 * only the run's creation writes (its marker is random), so only the placeholders the definition's author
 * wrote get the credential. Text that arrives later and is rendered again (a webhook payload, a job's
 * output, an edited input) may spell `{{.workflow.params.<name>}}`: that is blanked, never filled in.
 */
export function credentialKey(name: string, marker: string | undefined): string {
  return marker ? `${marker}.${name}` : `workflow.params.${name}`;
}

/** A run's credential values by the render keys of its placeholders (what fills them in). */
export function credentialValues(secrets: Record<string, string>, marker: string | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(secrets).map(([name, value]) => [credentialKey(name, marker), value]));
}

export interface JobResult {
  name: string;
  type: string;
  status: Status;
  startTime?: number;
  endTime?: number;
  error?: string;
  outputs?: Record<string, string>;
  retryCount?: number;
  approval?: ApprovalState;
}

export interface StageResult {
  name: string;
  status: Status;
  startTime?: number;
  endTime?: number;
  jobs: JobResult[];
}

export interface ApprovalVote {
  user: string;
  approve: boolean;
  comment?: string;
  time: number;
}

export interface ApprovalState {
  approvers: string[];
  neededApprovers: number;
  votes: ApprovalVote[];
}

export interface RunResult {
  status: Status;
  stages: StageResult[];
  /** variable context (built-ins, outputs, statuses) for a later retry */
  context: Record<string, string>;
  retryNum: number;
  error?: string;
}

export interface RunResumeState {
  stages: StageResult[];
  context: Record<string, string>;
  retryNum: number;
}
