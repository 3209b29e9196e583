import type { Status } from '@stagecoach/spec';

// Same set as isTerminal in @stagecoach/spec (status.ts); kept local and unexported so the projection
// does not depend on the spec runtime.
/** Statuses after which a run, stage or job does not change again within one execution attempt. */
export const TERMINAL_STATUSES: ReadonlySet<Status> = new Set<Status>([
  'passed',
  'failed',
  'timeout',
  'cancelled',
  'reject',
  'unstable',
  'skipped',
]);

/** Statuses before anything ran: they do not start the clock. */
const NOT_STARTED: ReadonlySet<Status> = new Set<Status>(['', 'created', 'queued', 'pending', 'prepare', 'notRun']);

export function isTerminal(status: Status): boolean {
  return TERMINAL_STATUSES.has(status);
}

export function hasStarted(status: Status): boolean {
  return !NOT_STARTED.has(status);
}
