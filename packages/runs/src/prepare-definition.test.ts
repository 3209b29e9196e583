import { describe, expect, it } from 'vitest';
import { ValidationError } from '@stagecoach/platform';
import type { Job, WorkflowDefinition } from '@stagecoach/spec';
import { selectJobs } from './prepare-definition.js';

const job = (name: string, run_policy?: Job['run_policy']): Job => ({
  name,
  type: 'freestyle',
  spec: { script: 'true' },
  ...(run_policy ? { run_policy } : {}),
});
const definition: WorkflowDefinition = {
  name: 'wf',
  project: 'p',
  stages: [{ name: 's', jobs: [job('build'), job('gate', 'force_run'), job('extra', 'default_not_run')] }],
};
const skippedOf = (d: WorkflowDefinition) => Object.fromEntries(d.stages[0]!.jobs.map((j) => [j.name, j.skipped]));
const issuesOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ValidationError) return err.issues;
    throw err;
  }
  return [];
};

describe('selectJobs', () => {
  it('skips what the caller turned off and runs default_not_run jobs only when asked', () => {
    expect(skippedOf(selectJobs(definition, {}))).toEqual({ build: false, gate: false, extra: true });
    expect(skippedOf(selectJobs(definition, { skip_jobs: ['build'], run_jobs: ['extra'] }))).toEqual({
      build: true,
      gate: false,
      extra: false,
    });
  });

  it('refuses a job both turned off and on, rather than choosing one', () => {
    expect(issuesOf(() => selectJobs(definition, { skip_jobs: ['extra'], run_jobs: ['extra'] }))).toEqual([
      { path: 'run_jobs[0]', message: 'job "extra" is also in skip_jobs' },
    ]);
  });

  it('names the entry of the request that is refused', () => {
    expect(issuesOf(() => selectJobs(definition, { skip_jobs: ['build', 'gate'], run_jobs: ['nope'] }))).toEqual([
      { path: 'run_jobs[0]', message: 'no job named "nope"' },
      { path: 'skip_jobs[1]', message: 'job "gate" has run_policy force_run and cannot be skipped' },
    ]);
  });
});
