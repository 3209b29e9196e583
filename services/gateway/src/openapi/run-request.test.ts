import { describe, expect, it } from 'vitest';
import { ValidationError } from '@stagecoach/platform';
import type { WorkflowDefinition } from '@stagecoach/spec';
import { inZadigTerms, runChoice, type RunBody } from './run-request.js';

const definition: WorkflowDefinition = {
  name: 'wf',
  project: 'p',
  params: [
    { name: 'branch', type: 'string', default: 'main' },
    { name: 'targets', type: 'multi-select', choice_option: ['a', 'b', 'c'] },
  ],
  stages: [
    {
      name: 'build',
      jobs: [
        { name: 'build', type: 'freestyle', spec: { script: 'true' } },
        { name: 'lint', type: 'freestyle', run_policy: 'force_run', spec: { script: 'true' } },
      ],
    },
    {
      name: 'release',
      jobs: [
        {
          name: 'approve',
          type: 'approval',
          spec: { native_approval: { approve_users: [{ user_name: 'x' }] } },
        },
        { name: 'deploy', type: 'freestyle', run_policy: 'default_not_run', spec: { script: 'true' } },
      ],
    },
  ],
};
const body = (extra: Partial<RunBody>): RunBody => ({ project_key: 'p', workflow_key: 'wf', ...extra });
const issuesOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ValidationError) return err.issues.map((i) => `${i.path}: ${i.message}`);
    throw err;
  }
  throw new Error('no ValidationError');
};

describe('runChoice (Zadig run body → Stagecoach run)', () => {
  it('sets params by name, a multi-select from choice_value, and keeps the default selection without inputs', () => {
    expect(
      runChoice(
        definition,
        body({
          parameters: [
            { name: 'branch', type: 'string', value: 'dev' },
            { name: 'targets', type: 'multi-select', choice_value: ['a', 'c'] },
          ],
          remark: 'r',
        }),
      ),
    ).toEqual({ params: { branch: 'dev', targets: 'a,c' }, remark: 'r' });
  });

  it('runs the listed jobs and skips the others, except force_run ones', () => {
    const choice = runChoice(
      definition,
      body({
        inputs: [{ job_name: 'deploy', job_type: 'freestyle', parameters: { kv: [] } }, { job_name: 'approve' }],
      }),
    );
    expect(choice).toEqual({ params: {}, run_jobs: ['deploy', 'approve'], skip_jobs: ['build'] });
  });

  it('refuses, with the field, whatever it cannot honour', () => {
    expect(
      issuesOf(() =>
        runChoice(
          definition,
          body({
            parameters: [
              { name: 'nope', value: 'x' },
              { name: 'branch', repo: { branch: 'x' } },
              { name: 'branch', value: 'y' },
            ],
            inputs: [
              { job_name: 'ghost' },
              { job_name: 'build', job_type: 'zadig-build' },
              { job_name: 'deploy', parameters: { kv: [], repo_info: [{ branch: 'x' }] } },
              { job_name: 'deploy' },
            ],
            notify_inputs: [{ id: 0 }],
          }),
        ),
      ),
    ).toEqual([
      'parameters[0].name: no parameter "nope" in workflow "wf"',
      'parameters[1].repo: repository parameters are not supported; pass a string value',
      'parameters[2].name: parameter "branch" is given more than once',
      'inputs[0].job_name: no job "ghost" in workflow "wf"',
      'inputs[1].job_type: job "build" is of type "freestyle"',
      expect.stringMatching(/^inputs\[2\]\.parameters\.repo_info: job "deploy": per-job inputs cannot be applied/),
      'inputs[3].job_name: job "deploy" is listed more than once',
      "notify_inputs: per-run notification settings are not supported; the workflow's notify_ctls apply",
    ]);
  });

  it('refuses the value field a param of its type does not read, rather than dropping it', () => {
    expect(
      issuesOf(() =>
        runChoice(
          definition,
          body({
            parameters: [
              { name: 'branch', choice_value: ['feat'] },
              { name: 'targets', value: 'c', choice_value: ['b'] },
            ],
          }),
        ),
      ),
    ).toEqual([
      'parameters[0].choice_value: parameter "branch" is of type "string"; pass its value in "value"',
      'parameters[1].value: parameter "targets" is a multi-select; pass its choices in "choice_value" only',
    ]);
  });

  it("re-points the run's param refusals at the parameter that carried the value", () => {
    const err = new ValidationError('invalid run params', [
      { path: 'params.targets', message: '"z" is not one of the options' },
      { path: 'params.branch', message: 'param "branch" is required' },
      { path: 'remark', message: 'required' },
    ]);
    const mapped = inZadigTerms(err, body({ parameters: [{ name: 'targets', value: 'z' }] })) as ValidationError;
    expect(mapped.issues.map((i) => i.path)).toEqual(['parameters[0].value', 'parameters', 'remark']);
    const other = new Error('x');
    expect(inZadigTerms(other, body({}))).toBe(other);
  });
});
