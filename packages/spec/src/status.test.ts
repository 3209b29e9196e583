import { describe, expect, it } from 'vitest';
import { isDone, isFailedish, isTerminal, runStatusFromStages, stageStatusFromJobs } from './status.js';
import { STATUSES, type Status } from './types.js';

const STAGE_ORDER: Status[] = ['cancelled', 'timeout', 'failed', 'pause', 'reject', 'passed', 'unstable', 'skipped'];
const RUN_ORDER: Status[] = ['pause', 'reject', 'cancelled', 'timeout', 'failed', 'passed', 'unstable', 'skipped'];

describe('stageStatusFromJobs', () => {
  it('picks the higher-priority status for every pair of the table', () => {
    for (let i = 0; i < STAGE_ORDER.length; i++) {
      for (let j = i; j < STAGE_ORDER.length; j++) {
        const hi = STAGE_ORDER[i]!;
        const lo = STAGE_ORDER[j]!;
        expect(stageStatusFromJobs([lo, hi])).toBe(hi);
        expect(stageStatusFromJobs([hi, lo])).toBe(hi);
      }
    }
  });

  it('keeps unstable (only the run maps it to passed)', () => {
    expect(stageStatusFromJobs(['passed', 'unstable', 'skipped'])).toBe('passed');
    expect(stageStatusFromJobs(['unstable', 'skipped'])).toBe('unstable');
  });

  it('ignores statuses outside the table when one inside is present', () => {
    expect(stageStatusFromJobs(['', 'passed', 'running', 'wait_for_approval'])).toBe('passed');
    expect(stageStatusFromJobs(['failed', ''])).toBe('failed');
  });

  it('returns skipped for an empty list and running when no status is in the table (Zadig defaults)', () => {
    expect(stageStatusFromJobs([])).toBe('skipped');
    expect(stageStatusFromJobs([''])).toBe('running');
    expect(stageStatusFromJobs(['', 'created'])).toBe('running');
  });

  it('is not fooled by Object.prototype names', () => {
    expect(stageStatusFromJobs(['constructor' as Status, 'passed'])).toBe('passed');
  });
});

describe('runStatusFromStages', () => {
  it('picks the higher-priority status for every pair of the run table', () => {
    for (let i = 0; i < RUN_ORDER.length; i++) {
      for (let j = i; j < RUN_ORDER.length; j++) {
        const hi = RUN_ORDER[i]!;
        const lo = RUN_ORDER[j]!;
        const expected = hi === 'unstable' ? 'passed' : hi;
        expect(runStatusFromStages([lo, hi])).toBe(expected);
        expect(runStatusFromStages([hi, lo])).toBe(expected);
      }
    }
  });

  it('differs from the stage table where Zadig does', () => {
    expect(runStatusFromStages(['cancelled', 'pause'])).toBe('pause');
    expect(stageStatusFromJobs(['cancelled', 'pause'])).toBe('cancelled');
    expect(runStatusFromStages(['failed', 'reject'])).toBe('reject');
    expect(stageStatusFromJobs(['failed', 'reject'])).toBe('failed');
  });

  it('maps a worst status of unstable to passed', () => {
    expect(runStatusFromStages(['unstable'])).toBe('passed');
    expect(runStatusFromStages(['skipped', 'unstable'])).toBe('passed');
  });

  it('returns skipped for no stages and running for only unknown statuses', () => {
    expect(runStatusFromStages([])).toBe('skipped');
    expect(runStatusFromStages(['', ''])).toBe('running');
    expect(runStatusFromStages(['skipped', ''])).toBe('skipped');
  });
});

describe('status predicates', () => {
  const all = STATUSES;
  it('isFailedish', () => {
    expect(all.filter(isFailedish)).toEqual(['failed', 'timeout', 'cancelled', 'reject']);
  });
  it('isDone', () => {
    expect(all.filter(isDone)).toEqual(['passed', 'skipped', 'unstable']);
  });
  it('isTerminal', () => {
    expect(all.filter(isTerminal)).toEqual([
      'passed',
      'skipped',
      'failed',
      'timeout',
      'cancelled',
      'reject',
      'unstable',
    ]);
  });
});
