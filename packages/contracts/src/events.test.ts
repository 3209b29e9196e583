import { describe, expect, it } from 'vitest';
import { runEventProblem, type RunEvent } from './events.js';

const run: RunEvent = {
  runId: 'demo/wf/1',
  seq: 1,
  retryNum: 0,
  project: 'demo',
  workflow: 'wf',
  runNumber: 1,
  kind: 'run',
  status: 'running',
  time: 1_700_000_000_000,
};

describe('runEventProblem', () => {
  it('accepts run, stage and job events', () => {
    expect(runEventProblem(run)).toBeUndefined();
    expect(runEventProblem({ ...run, kind: 'stage', stage: 'build' })).toBeUndefined();
    expect(runEventProblem({ ...run, kind: 'job', stage: 'build', job: 'compile' })).toBeUndefined();
  });

  it.each([
    [null, 'not an object'],
    [{ ...run, runId: '' }, 'runId is not a non-empty string'],
    [{ ...run, project: 7 }, 'project is not a non-empty string'],
    [{ ...run, status: undefined }, 'status is not a non-empty string'],
    [{ ...run, seq: 1.5 }, 'seq is not a whole number'],
    [{ ...run, retryNum: -1 }, 'retryNum is not a whole number'],
    [{ ...run, runNumber: '1' }, 'runNumber is not a whole number'],
    [{ ...run, time: 'now' }, 'time is not a number'],
    [{ ...run, kind: 'task' }, 'kind "task" is not run, stage or job'],
    [{ ...run, kind: 'stage' }, 'a stage event names no stage'],
    [{ ...run, kind: 'job', job: 'compile' }, 'a job event names no stage'],
    [{ ...run, kind: 'job', stage: 'build' }, 'a job event names no job'],
  ])('names what is wrong with %j', (value, problem) => {
    expect(runEventProblem(value)).toBe(problem);
  });
});
