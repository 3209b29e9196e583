import type { JobType } from '@stagecoach/spec';
import type { RunEvent } from './events.js';

/** The activities the run workflow calls. Workflows import this type only; the worker registers the implementation. */
export interface JobActivityInput {
  runId: string;
  project: string;
  workflow: string;
  runNumber: number;
  retryNum: number;
  job: string;
  /** the job types that run as an activity (approvals are decided in the workflow) */
  jobType: Exclude<JobType, 'approval'>;
  /** rendered spec; credential params are still `{{.workflow.params.NAME}}` placeholders */
  spec: unknown;
  /** the rendered spec of the job this one's `from_job` names (release jobs act on their deploy job's targets) */
  fromSpec?: unknown;
  /** environment for the job: params (non-secret) and built-ins */
  env: Record<string, string>;
  /** names of the run's credential params, read from PostgreSQL by the activity */
  secretParams: string[];
  /** the run's credential placeholder prefix (RunInput.secretMarker) */
  secretMarker?: string;
  /** a `notification` job's only: the run's page (RunInput.url), which its message links to */
  runUrl?: string;
  /**
   * Events the workflow had pending when it scheduled the job (the job's `running`, and stage
   * transitions before it): the activity publishes them first, so a stage hand-off costs no extra
   * round trip.
   */
  startEvents: RunEvent[];
  /** The job's `passed` event, sequence reserved by the workflow; published with the outputs on success. */
  passedEvent: RunEvent;
}

export interface JobActivityResult {
  outputs: Record<string, string>;
}

export interface CleanupJobsInput {
  runId: string;
  /** in the order cleanups must run (reverse of execution order) */
  jobs: { name: string; type: string }[];
}

export interface CompensateJobsInput {
  runId: string;
  /** jobs whose cleanup undoes cluster changes, last first; each with the spec of the job it completes */
  jobs: { name: string; type: string; fromSpec: unknown }[];
}

export interface ConcurrencySlotInput {
  project: string;
  workflow: string;
  limit: number;
  runWorkflowId: string;
  runNumber: number;
}

export interface RunActivities {
  runJob(input: JobActivityInput): Promise<JobActivityResult>;
  cleanupJobs(input: CleanupJobsInput): Promise<void>;
  /** Zadig's Clean() of release jobs: a canary or blue-green left behind by a failed or cancelled run goes. */
  compensateJobs(input: CompensateJobsInput): Promise<void>;
  acquireConcurrencySlot(input: ConcurrencySlotInput): Promise<void>;
  /** How runs recorded before patch `events-by-sink` publish their transitions; replaying them needs it. */
  emitEvents(events: RunEvent[]): Promise<void>;
}

export interface TimerFireInput {
  triggerId: string;
}

export interface FireTimerActivityInput extends TimerFireInput {
  /** the firing's own id (the schedule-started workflow's id): the delivery key */
  fireId: string;
}

/** Activities of the timer-fire workflow a timer trigger's schedule starts. */
export interface TimerActivities {
  fireTimerTrigger(input: FireTimerActivityInput): Promise<void>;
}
