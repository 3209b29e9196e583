import type { Status } from '@stagecoach/spec';
import type { ApprovalState } from './run.js';

/** One transition of a run, a stage or a job. Published to JetStream with Nats-Msg-Id `<runId>:<seq>`. */
export interface RunEvent {
  /** `<project>/<workflow>/<runNumber>` */
  runId: string;
  /** per-run sequence, deterministic (assigned by the workflow); with runId it is the dedupe key */
  seq: number;
  /** per-run execution attempt: 0 for the first execution, +1 for each retry */
  retryNum: number;
  project: string;
  workflow: string;
  runNumber: number;
  kind: 'run' | 'stage' | 'job';
  stage?: string;
  job?: string;
  jobType?: string;
  status: Status;
  /** unix ms */
  time: number;
  creator?: string;
  error?: string;
  outputs?: Record<string, string>;
  approval?: ApprovalState;
  retryCount?: number;
}

export function eventMsgId(event: Pick<RunEvent, 'runId' | 'retryNum' | 'seq'>): string {
  return `${event.runId}:${event.retryNum}:${event.seq}`;
}
