import type { Status } from './types.js';

// Priority tables from Zadig: stage.go::updateStageStatus and workflow.go::updateworkflowStatus. Functions rather
// than lookup objects so that arbitrary strings (`constructor`, …) cannot hit Object.prototype.

function stageRank(s: Status): number {
  switch (s) {
    case 'cancelled':
      return 7;
    case 'timeout':
      return 6;
    case 'failed':
      return 5;
    case 'pause':
      return 4;
    case 'reject':
      return 3;
    case 'passed':
      return 2;
    case 'unstable':
      return 1;
    case 'skipped':
      return 0;
    default:
      return -1;
  }
}

function runRank(s: Status): number {
  switch (s) {
    case 'pause':
      return 7;
    case 'reject':
      return 6;
    case 'cancelled':
      return 5;
    case 'timeout':
      return 4;
    case 'failed':
      return 3;
    case 'passed':
      return 2;
    case 'unstable':
      return 1;
    case 'skipped':
      return 0;
    default:
      return -1;
  }
}

/**
 * Zadig maps statuses outside the table to -1 and takes the maximum, seeding it with the first element; the Go
 * zero value (0) is the result when the list is empty. Hence:
 * - statuses outside the table never win over one inside it (they are effectively ignored);
 * - an empty list yields `skipped` (rank 0);
 * - a non-empty list of only unknown statuses (e.g. all `''`, never started) yields `running`, Zadig's initial value.
 */
function worst(statuses: readonly Status[], rank: (s: Status) => number): Status {
  if (statuses.length === 0) return 'skipped';
  let best = -1;
  let result: Status = 'running';
  for (const s of statuses) {
    const r = rank(s);
    if (r > best) {
      best = r;
      result = s;
    }
  }
  return result;
}

/** Stage status from its jobs. Zadig additionally forces `cancelled` when the run was cancelled; callers do that. */
export function stageStatusFromJobs(statuses: readonly Status[]): Status {
  return worst(statuses, stageRank);
}

/** Run status from its stages; a worst status of `unstable` is reported as `passed`, as in Zadig. */
export function runStatusFromStages(statuses: readonly Status[]): Status {
  const s = worst(statuses, runRank);
  return s === 'unstable' ? 'passed' : s;
}

/** Statuses that stop a sequential stage and the run (`jobStatusFailed` in Zadig). */
export function isFailedish(s: Status): boolean {
  return s === 'failed' || s === 'timeout' || s === 'cancelled' || s === 'reject';
}

/** Jobs/stages in these states are kept, not re-run, when a run is retried. */
export function isDone(s: Status): boolean {
  return s === 'passed' || s === 'skipped' || s === 'unstable';
}

/** Final states. `pause` is not one: a paused run resumes at its manual-exec stage. */
export function isTerminal(s: Status): boolean {
  return isDone(s) || isFailedish(s);
}
