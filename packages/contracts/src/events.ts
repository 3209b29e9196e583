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

const isText = (value: unknown): value is string => typeof value === 'string' && value !== '';
const isCount = (value: unknown): value is number => Number.isInteger(value) && (value as number) >= 0;

/**
 * What makes `value` unusable as a RunEvent, or undefined when it is one. Such an event can never be
 * applied, however often it is delivered, so consumers drop it rather than retrying it forever.
 */
export function runEventProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'not an object';
  const event = value as Partial<Record<keyof RunEvent, unknown>>;
  for (const key of ['runId', 'project', 'workflow', 'status'] as const)
    if (!isText(event[key])) return `${key} is not a non-empty string`;
  for (const key of ['seq', 'retryNum', 'runNumber'] as const)
    if (!isCount(event[key])) return `${key} is not a whole number`;
  if (typeof event.time !== 'number' || !Number.isFinite(event.time)) return 'time is not a number';
  if (event.kind !== 'run' && event.kind !== 'stage' && event.kind !== 'job')
    return `kind ${JSON.stringify(event.kind)} is not run, stage or job`;
  if (event.kind !== 'run' && !isText(event.stage)) return `a ${event.kind} event names no stage`;
  if (event.kind === 'job' && !isText(event.job)) return 'a job event names no job';
  return undefined;
}
