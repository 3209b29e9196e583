import { describe, expect, it } from 'vitest';
import type { RunInput } from '@stagecoach/contracts';
import type { WorkflowDefinition } from '@stagecoach/spec';
import { cleanupOrder, initialStages, jobEnvironment } from './run-state.js';

const definition: WorkflowDefinition = {
  name: 'w',
  project: 'p',
  stages: [
    {
      name: 'a',
      jobs: [
        { name: 'a1', type: 'freestyle', spec: { script: '' } },
        { name: 'a2', type: 'approval', spec: {} },
      ],
    },
    { name: 'b', jobs: [{ name: 'b1', type: 'freestyle', spec: { script: '' } }] },
  ],
};

const input = (resume?: RunInput['resume']): RunInput => ({
  version: 1,
  project: 'p',
  projectDisplayName: 'P',
  workflow: 'w',
  runNumber: 7,
  creator: 'ann',
  createdAt: 0,
  definition,
  params: { greeting: 'hi' },
  secretParams: ['token'],
  resume,
});

describe('cleanupOrder', () => {
  it('lists every job, the last one first', () => {
    expect(cleanupOrder(definition).map((j) => j.name)).toEqual(['b1', 'a2', 'a1']);
  });
});

describe('initialStages', () => {
  it('starts every job fresh for a new run', () => {
    expect(initialStages(input())).toEqual([
      {
        name: 'a',
        status: '',
        jobs: [
          { name: 'a1', type: 'freestyle', status: '' },
          { name: 'a2', type: 'approval', status: '' },
        ],
      },
      { name: 'b', status: '', jobs: [{ name: 'b1', type: 'freestyle', status: '' }] },
    ]);
  });

  it('on retry keeps passed, skipped and unstable jobs and resets the rest', () => {
    const stages = initialStages(
      input({
        retryNum: 0,
        context: {},
        stages: [
          {
            name: 'a',
            status: 'passed',
            jobs: [
              { name: 'a1', type: 'freestyle', status: 'passed', outputs: { X: '1' } },
              { name: 'a2', type: 'approval', status: 'unstable' },
            ],
          },
          { name: 'b', status: 'failed', jobs: [{ name: 'b1', type: 'freestyle', status: 'failed', error: 'boom' }] },
        ],
      }),
    );
    expect(stages[0]).toEqual({
      name: 'a',
      status: 'passed',
      jobs: [
        { name: 'a1', type: 'freestyle', status: 'passed', outputs: { X: '1' } },
        { name: 'a2', type: 'approval', status: 'unstable' },
      ],
    });
    expect(stages[1]).toEqual({ name: 'b', status: '', jobs: [{ name: 'b1', type: 'freestyle', status: '' }] });
  });
});

describe('jobEnvironment', () => {
  it('gives params and built-ins, never credentials', () => {
    const env = jobEnvironment(input(), 'a1');
    expect(env).toMatchObject({
      greeting: 'hi',
      PROJECT: 'p',
      WORKFLOW: 'w',
      TASK_ID: '7',
      JOB_NAME: 'a1',
      TASK_CREATOR: 'ann',
      CI: 'true',
    });
    expect(env).not.toHaveProperty('token');
  });
});
