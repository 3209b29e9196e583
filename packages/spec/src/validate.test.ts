import { describe, expect, it } from 'vitest';
import { sampleDefinition } from './sample.fixture.js';
import { validateDefinition } from './validate.js';

function issuesOf(value: unknown) {
  const r = validateDefinition(value);
  if (r.ok) throw new Error('expected validation to fail');
  return r.issues;
}

function withStage(stage: Record<string, unknown>) {
  return { name: 'wf', project: 'p', stages: [stage] };
}

function withJob(job: Record<string, unknown>) {
  return withStage({ name: 's', jobs: [job] });
}

function withSpec(type: string, spec: unknown) {
  return withJob({ name: 'j', type, spec });
}

describe('validateDefinition: valid input', () => {
  it('accepts the sample and fills in defaults without dropping unknown keys', () => {
    const r = validateDefinition(sampleDefinition());
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const v = r.value;
    expect(v).toMatchObject({ name: 'build-deploy', concurrency_limit: 1, hash: 'abc' });
    const [build, release] = v.stages;
    expect(build?.parallel).toBe(true);
    expect(release?.parallel).toBe(false);
    expect(build?.jobs[0]).toEqual({
      name: 'compile',
      type: 'freestyle',
      skipped: false,
      run_policy: '',
      spec: {
        freestyle_type: '',
        script: 'make',
        script_type: 'shell',
        repos: [{ repo_name: 'app', address: 'https://git.example/app.git', branch: 'main', pr: 3, prs: [3] }],
        envs: [{ key: 'GOFLAGS', value: '-mod=vendor', is_credential: false }],
        advanced_setting: { timeout: 30, outputs: [{ name: 'IMAGE' }, { name: '_tag2' }], cluster_id: 'x' },
        object_storage_upload: { enabled: false },
      },
      error_policy: { policy: 'retry', maximum_retry: 2 },
      execute_policy: {
        type: 'execute',
        match_rule: 'all',
        rules: [{ field: '{{.workflow.params.env}}', verb: '=', value: 'prod' }],
      },
    });
    expect(build?.jobs[1]).toEqual({
      name: '构建-二',
      type: 'freestyle',
      skipped: false,
      run_policy: 'default_not_run',
      error_policy: { policy: 'stop' },
      spec: { script: '', freestyle_type: '', script_type: 'shell', repos: [], envs: [] },
    });
    expect(release?.approval).toEqual({ enabled: false, type: 'lark' });
    expect(release?.manual_exec).toEqual({
      enabled: true,
      modify_params: false,
      manual_exec_users: [{ type: 'task_creator' }],
    });
    expect(release?.jobs[0]?.spec).toEqual({
      timeout: 10,
      type: 'native',
      description: 'ok?',
      native_approval: { approve_users: [{ user_name: 'alice' }, { type: 'task_creator' }], needed_approvers: 2 },
    });
  });

  it('does not mutate its input', () => {
    const input = sampleDefinition();
    const copy = structuredClone(input);
    validateDefinition(input);
    expect(input).toEqual(copy);
  });

  it('defaults a minimal definition', () => {
    const r = validateDefinition(withSpec('approval', { native_approval: { approve_users: [{ user_name: 'a' }] } }));
    expect(r).toEqual({
      ok: true,
      value: {
        name: 'wf',
        project: 'p',
        params: [],
        concurrency_limit: -1,
        stages: [
          {
            name: 's',
            parallel: false,
            jobs: [
              {
                name: 'j',
                type: 'approval',
                skipped: false,
                run_policy: '',
                error_policy: { policy: 'stop' },
                spec: {
                  type: 'native',
                  timeout: 60,
                  native_approval: { approve_users: [{ user_name: 'a' }], needed_approvers: 1 },
                },
              },
            ],
          },
        ],
      },
    });
  });

  it.each([
    [false, 1],
    [true, -1],
  ])('reads multi_run %s as concurrency_limit %d', (multiRun, limit) => {
    const r = validateDefinition({ ...withSpec('freestyle', { script: '' }), multi_run: multiRun });
    expect(r.ok && r.value.concurrency_limit).toBe(limit);
  });

  it('prefers an explicit concurrency_limit over multi_run', () => {
    const r = validateDefinition({ ...withSpec('freestyle', { script: '' }), multi_run: false, concurrency_limit: 3 });
    expect(r.ok && r.value.concurrency_limit).toBe(3);
  });

  it('accepts concurrency_limit -1 and 0', () => {
    expect(validateDefinition({ ...withSpec('freestyle', { script: '' }), concurrency_limit: -1 }).ok).toBe(true);
    expect(validateDefinition({ ...withSpec('freestyle', { script: '' }), concurrency_limit: 0 }).ok).toBe(true);
  });

  it('refuses integers a 32-bit field cannot hold, naming the range', () => {
    const base = withSpec('freestyle', { script: '' });
    expect(validateDefinition({ ...base, concurrency_limit: 2 ** 31 - 1 }).ok).toBe(true);
    for (const limit of [2 ** 31, 1e20]) {
      expect(validateDefinition({ ...base, concurrency_limit: limit })).toMatchObject({
        ok: false,
        issues: [{ path: 'concurrency_limit', message: 'must be an integer from -2147483648 to 2147483647' }],
      });
    }
  });

  it('treats timeout 0 (Go zero value) as unset', () => {
    const r = validateDefinition(
      withStage({
        name: 's',
        jobs: [
          { name: 'a', type: 'freestyle', spec: { script: '', advanced_setting: { timeout: 0 } } },
          {
            name: 'b',
            type: 'approval',
            spec: { timeout: 0, native_approval: { approve_users: [{ user_id: 'x' }], needed_approvers: 0 } },
          },
        ],
      }),
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.stages[0]?.jobs[0]?.spec).toMatchObject({ advanced_setting: {} });
    expect(r.value.stages[0]?.jobs[1]?.spec).toMatchObject({ timeout: 60, native_approval: { needed_approvers: 1 } });
  });

  it('accepts null for optional keys (YAML "key:" with no value)', () => {
    const r = validateDefinition({
      ...withSpec('freestyle', { script: '', repos: null }),
      description: null,
      params: null,
    });
    expect(r.ok).toBe(true);
  });

  it('accepts a 32-character job name and allows a group to make needed_approvers unbounded', () => {
    const r = validateDefinition(
      withJob({
        name: 'a'.repeat(32),
        type: 'approval',
        spec: { native_approval: { approve_users: [{ type: 'group', group_name: 'ops' }], needed_approvers: 3 } },
      }),
    );
    expect(r.ok).toBe(true);
  });

  it('accepts an enabled legacy stage approval and normalises it', () => {
    const r = validateDefinition(
      withStage({
        name: 's',
        approval: { enabled: true, native_approval: { approve_users: [{ user_name: 'a' }] } },
        jobs: [{ name: 'j', type: 'freestyle', spec: { script: '' } }],
      }),
    );
    expect(r.ok && r.value.stages[0]?.approval).toEqual({
      enabled: true,
      type: 'native',
      timeout: 60,
      native_approval: { approve_users: [{ user_name: 'a' }], needed_approvers: 1 },
    });
  });

  it('treats an empty user type as a plain user (older Zadig data)', () => {
    expect(
      validateDefinition(withSpec('approval', { native_approval: { approve_users: [{ type: '', user_name: 'a' }] } }))
        .ok,
    ).toBe(true);
  });
});

describe('validateDefinition: top level', () => {
  it.each([null, [], 'x', 3])('rejects a non-object %j', (v) => {
    expect(issuesOf(v)).toEqual([{ path: '', message: 'workflow definition must be an object' }]);
  });

  it('reports missing required keys', () => {
    expect(issuesOf({})).toEqual([
      { path: 'name', message: 'is required' },
      { path: 'project', message: 'is required' },
      { path: 'stages', message: 'is required' },
    ]);
  });

  it('reports wrong types and bad values of every top-level key', () => {
    expect(
      issuesOf({
        name: 'my workflow',
        display_name: 3,
        project: '',
        description: [],
        category: 'other',
        disabled: 'no',
        remark_required: 1,
        params: {},
        concurrency_limit: -2,
        multi_run: 'yes',
        notify_ctls: {},
        stages: [],
      }),
    ).toEqual([
      { path: 'name', message: 'workflow name "my workflow" may contain only letters, digits and "-"' },
      { path: 'display_name', message: 'must be a string' },
      { path: 'project', message: 'is required' },
      { path: 'description', message: 'must be a string' },
      { path: 'category', message: 'must be one of "", "release" (got "other")' },
      { path: 'disabled', message: 'must be a boolean' },
      { path: 'remark_required', message: 'must be a boolean' },
      { path: 'params', message: 'must be an array' },
      { path: 'concurrency_limit', message: 'must be -1 (unlimited), 0 (unlimited) or a positive integer' },
      { path: 'multi_run', message: 'must be a boolean' },
      { path: 'notify_ctls', message: 'must be an array' },
      { path: 'stages', message: 'must contain at least one stage' },
    ]);
  });

  it('rejects a fractional or non-numeric concurrency_limit', () => {
    expect(issuesOf({ ...withSpec('freestyle', { script: '' }), concurrency_limit: 1.5 })).toEqual([
      { path: 'concurrency_limit', message: 'must be an integer' },
    ]);
    expect(issuesOf({ ...withSpec('freestyle', { script: '' }), concurrency_limit: '1' })).toEqual([
      { path: 'concurrency_limit', message: 'must be an integer' },
    ]);
  });

  it('rejects stages that is not an array', () => {
    expect(issuesOf({ name: 'w', project: 'p', stages: {} })).toEqual([
      { path: 'stages', message: 'must be an array' },
    ]);
  });
});

describe('validateDefinition: params', () => {
  it('reports every param problem', () => {
    expect(
      issuesOf({
        ...withSpec('freestyle', { script: '' }),
        params: [
          'x',
          { type: 'string' },
          { name: 'a', type: 'number' },
          {
            name: 'a',
            type: 'string',
            value: 1,
            default: false,
            is_credential: 'y',
            source: 'env',
            required: 'n',
            description: 2,
          },
          { name: 'c', type: 'choice', choice_option: ['x', 'y'], value: 'z', default: 'w' },
          { name: 'd', type: 'choice' },
          { name: 'e', type: 'multi-select', choice_option: [], choice_value: ['q'] },
          { name: 'f', type: 'multi-select', choice_option: ['x', 1], choice_value: 'x' },
          { name: 'g', type: 'multi-select', choice_option: ['x'], choice_value: ['x', 'q'] },
        ],
      }),
    ).toEqual([
      { path: 'params[0]', message: 'must be an object' },
      { path: 'params[1].name', message: 'is required' },
      {
        path: 'params[2].type',
        message:
          'must be one of "string", "text", "choice", "multi-select", "repo", "image", "script", "file", "external" (got "number")',
      },
      { path: 'params[3].name', message: 'duplicate param name "a" (already used by params[2])' },
      { path: 'params[3].description', message: 'must be a string' },
      { path: 'params[3].value', message: 'must be a string' },
      { path: 'params[3].default', message: 'must be a string' },
      { path: 'params[3].is_credential', message: 'must be a boolean' },
      { path: 'params[3].source', message: 'must be one of "runtime", "fixed", "reference" (got "env")' },
      { path: 'params[3].required', message: 'must be a boolean' },
      { path: 'params[4].value', message: '"z" is not one of the options "x", "y"' },
      { path: 'params[4].default', message: '"w" is not one of the options "x", "y"' },
      { path: 'params[5].choice_option', message: 'a choice param needs at least one option' },
      { path: 'params[6].choice_option', message: 'a multi-select param needs at least one option' },
      { path: 'params[7].choice_option[1]', message: 'must be a string' },
      { path: 'params[7].choice_value', message: 'must be an array' },
      { path: 'params[8].choice_value[1]', message: '"q" is not one of the options "x"' },
    ]);
  });

  it('allows an empty choice value', () => {
    expect(
      validateDefinition({
        ...withSpec('freestyle', { script: '' }),
        params: [{ name: 'c', type: 'choice', choice_option: ['x'], value: '' }],
      }).ok,
    ).toBe(true);
  });
});

describe('validateDefinition: stages', () => {
  it('reports stage problems, duplicate names, missing and empty jobs', () => {
    const job = { name: 'j', type: 'freestyle', spec: { script: '' } };
    expect(
      issuesOf({
        name: 'w',
        project: 'p',
        stages: [
          'nope',
          { name: 'a', parallel: 'yes', jobs: [] },
          { name: 'a', jobs: [job] },
          { jobs: {} },
          { name: '', jobs: [{ ...job, name: 'k' }] },
        ],
      }),
    ).toEqual([
      { path: 'stages[0]', message: 'must be an object' },
      { path: 'stages[1].parallel', message: 'must be a boolean' },
      { path: 'stages[1].jobs', message: 'must contain at least one job' },
      { path: 'stages[2].name', message: 'duplicate stage name "a" (already used by stages[1])' },
      { path: 'stages[3].name', message: 'is required' },
      { path: 'stages[3].jobs', message: 'must be an array' },
      { path: 'stages[4].name', message: 'is required' },
    ]);
  });

  it('requires manual_exec users when enabled and checks their shape', () => {
    const jobs = [{ name: 'j', type: 'freestyle', spec: { script: '' } }];
    expect(
      issuesOf({
        name: 'w',
        project: 'p',
        stages: [
          { name: 'a', manual_exec: { enabled: true }, jobs },
          { name: 'b', manual_exec: { enabled: true, manual_exec_users: [] }, jobs: [{ ...jobs[0], name: 'k' }] },
          {
            name: 'c',
            manual_exec: {
              enabled: 'true',
              modify_params: 1,
              manual_exec_users: [{ type: 'robot' }, {}, { type: 'group' }, 'x'],
            },
            jobs: [{ ...jobs[0], name: 'l' }],
          },
          { name: 'd', manual_exec: { enabled: true, manual_exec_users: 'alice' }, jobs: [{ ...jobs[0], name: 'm' }] },
          { name: 'e', manual_exec: 'on', jobs: [{ ...jobs[0], name: 'n' }] },
        ],
      }),
    ).toEqual([
      { path: 'stages[0].manual_exec.manual_exec_users', message: 'manual execution needs at least one user' },
      { path: 'stages[1].manual_exec.manual_exec_users', message: 'manual execution needs at least one user' },
      { path: 'stages[2].manual_exec.enabled', message: 'must be a boolean' },
      { path: 'stages[2].manual_exec.modify_params', message: 'must be a boolean' },
      {
        path: 'stages[2].manual_exec.manual_exec_users[0].type',
        message: 'must be one of "user", "group", "task_creator" (got "robot")',
      },
      { path: 'stages[2].manual_exec.manual_exec_users[1]', message: 'needs user_name or user_id' },
      { path: 'stages[2].manual_exec.manual_exec_users[2]', message: 'needs group_name or group_id' },
      { path: 'stages[2].manual_exec.manual_exec_users[3]', message: 'must be an object' },
      { path: 'stages[3].manual_exec.manual_exec_users', message: 'must be an array' },
      { path: 'stages[4].manual_exec', message: 'must be an object' },
    ]);
  });

  it('validates an enabled legacy stage approval as a native approval', () => {
    const jobs = [{ name: 'j', type: 'freestyle', spec: { script: '' } }];
    expect(
      issuesOf({
        name: 'w',
        project: 'p',
        stages: [
          { name: 'a', approval: { enabled: true, type: 'dingtalk', timeout: -5 }, jobs },
          {
            name: 'b',
            approval: { enabled: true, native_approval: { approve_users: [{ user_name: 'x' }], needed_approvers: 2 } },
            jobs: [{ ...jobs[0], name: 'k' }],
          },
          { name: 'c', approval: { enabled: 'yes' }, jobs: [{ ...jobs[0], name: 'l' }] },
        ],
      }),
    ).toEqual([
      { path: 'stages[0].approval.type', message: 'approval type "dingtalk" is not supported yet' },
      { path: 'stages[0].approval.timeout', message: 'must be a positive number of minutes' },
      { path: 'stages[0].approval.native_approval', message: 'is required' },
      {
        path: 'stages[1].approval.native_approval.needed_approvers',
        message: 'must be between 1 and 1 (the number of approvers)',
      },
      { path: 'stages[2].approval.enabled', message: 'must be a boolean' },
    ]);
  });
});

describe('validateDefinition: jobs', () => {
  it('reports bad names, duplicates across stages, and unsupported types', () => {
    const spec = { script: '' };
    expect(
      issuesOf({
        name: 'w',
        project: 'p',
        stages: [
          {
            name: 'a',
            jobs: [
              { name: 'build', type: 'freestyle', spec },
              { name: 'Build', type: 'freestyle', spec },
              { name: '1st', type: 'freestyle', spec },
              { name: 'a'.repeat(33), type: 'freestyle', spec },
              { name: 'under_score', type: 'freestyle', spec },
              'job',
            ],
          },
          {
            name: 'b',
            jobs: [
              { name: 'build', type: 'freestyle', spec },
              { name: 'deploy', type: 'zadig-deploy', spec: {} },
              { name: 'x', type: 7, spec },
              { name: 'y', spec },
              { type: 'freestyle', spec },
            ],
          },
        ],
      }),
    ).toEqual([
      {
        path: 'stages[0].jobs[1].name',
        message: expect.stringMatching(/^job name "Build" must start with a lower-case letter/),
      },
      { path: 'stages[0].jobs[2].name', message: expect.stringMatching(/^job name "1st" must start/) },
      { path: 'stages[0].jobs[3].name', message: expect.stringMatching(/^job name "a{33}" must start/) },
      { path: 'stages[0].jobs[4].name', message: expect.stringMatching(/^job name "under_score" must start/) },
      { path: 'stages[0].jobs[5]', message: 'must be an object' },
      { path: 'stages[1].jobs[0].name', message: 'duplicate job name "build" (already used by stages[0].jobs[0])' },
      { path: 'stages[1].jobs[1].type', message: 'job type "zadig-deploy" is not supported yet' },
      { path: 'stages[1].jobs[2].type', message: 'must be a string' },
      { path: 'stages[1].jobs[3].type', message: 'is required' },
      { path: 'stages[1].jobs[4].name', message: 'is required' },
    ]);
  });

  it('spells out the job name rule', () => {
    expect(issuesOf(withJob({ name: 'Bad', type: 'freestyle', spec: { script: '' } }))).toEqual([
      {
        path: 'stages[0].jobs[0].name',
        message:
          'job name "Bad" must start with a lower-case letter (or CJK character) and contain only lower-case letters, digits, CJK characters and "-", at most 32 characters',
      },
    ]);
  });

  it('requires a spec object for supported types', () => {
    expect(issuesOf(withJob({ name: 'j', type: 'freestyle' }))).toEqual([
      { path: 'stages[0].jobs[0].spec', message: 'is required' },
    ]);
    expect(issuesOf(withJob({ name: 'j', type: 'approval', spec: 'x' }))).toEqual([
      { path: 'stages[0].jobs[0].spec', message: 'must be an object' },
    ]);
  });

  it('checks skipped, run_policy, notify_ctls', () => {
    expect(
      issuesOf(
        withJob({
          name: 'j',
          type: 'freestyle',
          spec: { script: '' },
          skipped: 'no',
          run_policy: 'always',
          notify_ctls: {},
        }),
      ),
    ).toEqual([
      { path: 'stages[0].jobs[0].skipped', message: 'must be a boolean' },
      {
        path: 'stages[0].jobs[0].run_policy',
        message: 'must be one of "", "default_not_run", "force_run", "skip" (got "always")',
      },
      { path: 'stages[0].jobs[0].notify_ctls', message: 'must be an array' },
    ]);
  });

  it('checks error_policy', () => {
    const base = { name: 'j', type: 'freestyle', spec: { script: '' } };
    const cases: [unknown, { path: string; message: string }[]][] = [
      ['stop', [{ path: 'stages[0].jobs[0].error_policy', message: 'must be an object' }]],
      [
        { policy: 'panic' },
        [
          {
            path: 'stages[0].jobs[0].error_policy.policy',
            message: 'must be one of "stop", "ignore_error", "retry", "manual_check" (got "panic")',
          },
        ],
      ],
      [
        { policy: 'retry', maximum_retry: -1 },
        [{ path: 'stages[0].jobs[0].error_policy.maximum_retry', message: 'must be an integer ≥ 0' }],
      ],
      [
        { policy: 'retry', maximum_retry: 1.5 },
        [{ path: 'stages[0].jobs[0].error_policy.maximum_retry', message: 'must be an integer' }],
      ],
      [
        { policy: 'manual_check' },
        [
          {
            path: 'stages[0].jobs[0].error_policy.approval_users',
            message: 'manual_check needs at least one approval user',
          },
        ],
      ],
      [
        { policy: 'manual_check', approval_users: [] },
        [
          {
            path: 'stages[0].jobs[0].error_policy.approval_users',
            message: 'manual_check needs at least one approval user',
          },
        ],
      ],
      [
        { policy: 'manual_check', approval_users: 'bob' },
        [{ path: 'stages[0].jobs[0].error_policy.approval_users', message: 'must be an array' }],
      ],
      [
        { policy: 'manual_check', approval_users: [{ type: 'user' }] },
        [{ path: 'stages[0].jobs[0].error_policy.approval_users[0]', message: 'needs user_name or user_id' }],
      ],
    ];
    for (const [ep, expected] of cases) expect(issuesOf(withJob({ ...base, error_policy: ep }))).toEqual(expected);
  });

  it('normalises an error_policy without policy to stop', () => {
    const r = validateDefinition(
      withJob({ name: 'j', type: 'freestyle', spec: { script: '' }, error_policy: { maximum_retry: 0 } }),
    );
    expect(r.ok && r.value.stages[0]?.jobs[0]?.error_policy).toEqual({ policy: 'stop', maximum_retry: 0 });
  });

  it('checks execute_policy', () => {
    expect(
      issuesOf(
        withJob({
          name: 'j',
          type: 'freestyle',
          spec: { script: '' },
          execute_policy: {
            match_rule: 'some',
            rules: [{ verb: 'like', value: 1 }, 'x', { field: 'a', verb: '=' }, { field: 2, verb: 3 }],
          },
        }),
      ),
    ).toEqual([
      { path: 'stages[0].jobs[0].execute_policy.type', message: 'is required' },
      { path: 'stages[0].jobs[0].execute_policy.match_rule', message: 'must be one of "all", "any" (got "some")' },
      { path: 'stages[0].jobs[0].execute_policy.rules[0].field', message: 'is required' },
      {
        path: 'stages[0].jobs[0].execute_policy.rules[0].verb',
        message:
          'must be one of "=", "!=", "begins_with", "not_begins_with", "ends_with", "not_ends_with", "contains", "not_contains" (got "like")',
      },
      { path: 'stages[0].jobs[0].execute_policy.rules[0].value', message: 'must be a string' },
      { path: 'stages[0].jobs[0].execute_policy.rules[1]', message: 'must be an object' },
      { path: 'stages[0].jobs[0].execute_policy.rules[3].field', message: 'must be a string' },
      { path: 'stages[0].jobs[0].execute_policy.rules[3].verb', message: 'must be a string' },
    ]);
    expect(
      issuesOf(
        withJob({ name: 'j', type: 'freestyle', spec: { script: '' }, execute_policy: { type: 'run', rules: {} } }),
      ),
    ).toEqual([
      { path: 'stages[0].jobs[0].execute_policy.type', message: 'must be one of "skip", "execute" (got "run")' },
      { path: 'stages[0].jobs[0].execute_policy.rules', message: 'must be an array' },
    ]);
  });
});

describe('validateDefinition: freestyle spec', () => {
  const P = 'stages[0].jobs[0].spec';

  it('requires a script string', () => {
    expect(issuesOf(withSpec('freestyle', {}))).toEqual([{ path: `${P}.script`, message: 'is required' }]);
    expect(issuesOf(withSpec('freestyle', { script: ['make'] }))).toEqual([
      { path: `${P}.script`, message: 'must be a string' },
    ]);
  });

  it('checks freestyle_type and script_type', () => {
    expect(issuesOf(withSpec('freestyle', { script: '', freestyle_type: 'x', script_type: 'batch' }))).toEqual([
      { path: `${P}.freestyle_type`, message: 'must be one of "", "service_freestyle" (got "x")' },
      { path: `${P}.script_type`, message: 'script type "batch" is not supported yet' },
    ]);
    expect(issuesOf(withSpec('freestyle', { script: '', script_type: 1 }))).toEqual([
      { path: `${P}.script_type`, message: 'must be a string' },
    ]);
  });

  it('checks repos', () => {
    expect(
      issuesOf(
        withSpec('freestyle', {
          script: '',
          repos: [
            { address: 'https://x' },
            { repo_name: 'a' },
            {
              repo_name: 'b',
              repo_owner: 'o',
              branch: 1,
              tag: 2,
              commit_id: 3,
              pr: '4',
              prs: [1, 'x'],
              codehost_id: 'c',
              checkout_path: 1,
              remote_name: 1,
              source: 1,
              repo_namespace: 1,
            },
            { repo_name: 'c', address: '', repo_owner: '' },
            { repo_name: 'd', address: 5 },
            'r',
          ],
        }),
      ),
    ).toEqual([
      { path: `${P}.repos[0].repo_name`, message: 'is required' },
      { path: `${P}.repos[1]`, message: 'needs either address or repo_owner' },
      { path: `${P}.repos[2].source`, message: 'must be a string' },
      { path: `${P}.repos[2].repo_namespace`, message: 'must be a string' },
      { path: `${P}.repos[2].branch`, message: 'must be a string' },
      { path: `${P}.repos[2].tag`, message: 'must be a string' },
      { path: `${P}.repos[2].commit_id`, message: 'must be a string' },
      { path: `${P}.repos[2].checkout_path`, message: 'must be a string' },
      { path: `${P}.repos[2].remote_name`, message: 'must be a string' },
      { path: `${P}.repos[2].codehost_id`, message: 'must be an integer' },
      { path: `${P}.repos[2].pr`, message: 'must be an integer' },
      { path: `${P}.repos[2].prs[1]`, message: 'must be an integer' },
      { path: `${P}.repos[3]`, message: 'needs either address or repo_owner' },
      { path: `${P}.repos[4].address`, message: 'must be a string' },
      { path: `${P}.repos[5]`, message: 'must be an object' },
    ]);
  });

  it('allows branch together with commit_id', () => {
    expect(
      validateDefinition(
        withSpec('freestyle', {
          script: '',
          repos: [{ repo_name: 'a', repo_owner: 'o', branch: 'main', commit_id: 'abc1' }],
        }),
      ).ok,
    ).toBe(true);
  });

  it('checks envs', () => {
    expect(
      issuesOf(
        withSpec('freestyle', {
          script: '',
          envs: [{ value: 'x' }, { key: 'A', value: 1, is_credential: 'y', type: 2, description: 3 }, 'E=1'],
        }),
      ),
    ).toEqual([
      { path: `${P}.envs[0].key`, message: 'is required' },
      { path: `${P}.envs[1].value`, message: 'must be a string' },
      { path: `${P}.envs[1].type`, message: 'must be a string' },
      { path: `${P}.envs[1].description`, message: 'must be a string' },
      { path: `${P}.envs[1].is_credential`, message: 'must be a boolean' },
      { path: `${P}.envs[2]`, message: 'must be an object' },
    ]);
    expect(issuesOf(withSpec('freestyle', { script: '', envs: { A: '1' } }))).toEqual([
      { path: `${P}.envs`, message: 'must be an array' },
    ]);
  });

  it('refuses checkout targets the executor would refuse when the job runs', () => {
    const repo = (fields: Record<string, unknown>) => ({ repo_name: 'app', address: 'https://g/x.git', ...fields });
    const repos = [
      repo({ commit_id: 'a1b2c3d', remote_name: 'upstream', checkout_path: 'src/app' }),
      repo({ commit_id: '{{.workflow.params.sha}}', checkout_path: './app/../lib' }),
      repo({ commit_id: '--upload-pack=touch /tmp/x', remote_name: '-o', checkout_path: '../outside' }),
      repo({ checkout_path: '/etc', pr: 0 }),
      repo({ checkout_path: 'app/..', prs: [1, -2] }),
      // `pr` wins over `prs`, as in the executor; a name like ..app stays inside.
      repo({ checkout_path: '..app', pr: 7, prs: [0, 2] }),
      repo({ repo_name: '../up' }),
    ];
    const at = (i: number, key: string) => `${P}.repos[${i}].${key}`;
    expect(issuesOf(withSpec('freestyle', { script: '', repos }))).toEqual([
      { path: at(2, 'commit_id'), message: 'must be a commit hash (4 to 64 hexadecimal digits)' },
      { path: at(2, 'checkout_path'), message: 'must be a relative path inside the job workspace' },
      { path: at(2, 'remote_name'), message: 'must be a git remote name (^[A-Za-z0-9][A-Za-z0-9._-]*$)' },
      { path: at(3, 'checkout_path'), message: 'must be a relative path inside the job workspace' },
      { path: at(3, 'pr'), message: 'must be a PR number (≥ 1)' },
      { path: at(4, 'checkout_path'), message: 'must be a relative path inside the job workspace' },
      { path: `${at(4, 'prs')}[1]`, message: 'must be a PR number (≥ 1)' },
      { path: at(4, 'branch'), message: 'several PRs (prs) need the branch they are merged into' },
      { path: at(6, 'repo_name'), message: 'must be a relative path inside the job workspace' },
    ]);
  });

  it('refuses env keys a job environment cannot carry, as a Zadig job pod would', () => {
    const keys = ['GOFLAGS', 'my-var', 'a.b', '_x9', '{{.workflow.params.name}}', 'A B', 'A=B', '9LIVES', '名字'];
    expect(issuesOf(withSpec('freestyle', { script: '', envs: keys.map((key) => ({ key, value: 'v' })) }))).toEqual(
      ['A B', 'A=B', '9LIVES', '名字'].map((key) => ({
        path: `${P}.envs[${keys.indexOf(key)}].key`,
        message: `environment variable name ${JSON.stringify(key)} must match ^[-._a-zA-Z][-._a-zA-Z0-9]*$`,
      })),
    );
  });

  it('refuses an env key set twice, naming where it was set first', () => {
    const envs = [
      { key: 'REGION', value: 'eu' },
      { key: 'TAG', value: '1' },
      { key: 'REGION', value: 'us' },
    ];
    expect(issuesOf(withSpec('freestyle', { script: '', envs }))).toEqual([
      { path: `${P}.envs[2].key`, message: `duplicate environment variable "REGION" (already set by ${P}.envs[0])` },
    ]);
  });

  it('checks advanced_setting timeout and outputs', () => {
    expect(
      issuesOf(
        withSpec('freestyle', {
          script: '',
          advanced_setting: {
            timeout: -1,
            outputs: [
              { name: 'IMAGE' },
              { name: 'IMAGE' },
              { name: '1X' },
              { name: 'a-b' },
              {},
              'OUT',
              { name: 'ok', description: 1 },
            ],
          },
        }),
      ),
    ).toEqual([
      { path: `${P}.advanced_setting.timeout`, message: 'must be a positive number of minutes' },
      {
        path: `${P}.advanced_setting.outputs[1].name`,
        message: `duplicate output name "IMAGE" (already used by ${P}.advanced_setting.outputs[0])`,
      },
      {
        path: `${P}.advanced_setting.outputs[2].name`,
        message: 'output name "1X" must match ^[A-Za-z_][A-Za-z0-9_]*$',
      },
      {
        path: `${P}.advanced_setting.outputs[3].name`,
        message: 'output name "a-b" must match ^[A-Za-z_][A-Za-z0-9_]*$',
      },
      { path: `${P}.advanced_setting.outputs[4].name`, message: 'is required' },
      { path: `${P}.advanced_setting.outputs[5]`, message: 'must be an object' },
      { path: `${P}.advanced_setting.outputs[6].description`, message: 'must be a string' },
    ]);
    expect(issuesOf(withSpec('freestyle', { script: '', advanced_setting: { timeout: '30', outputs: {} } }))).toEqual([
      { path: `${P}.advanced_setting.timeout`, message: 'must be a number' },
      { path: `${P}.advanced_setting.outputs`, message: 'must be an array' },
    ]);
    expect(issuesOf(withSpec('freestyle', { script: '', advanced_setting: { timeout: Infinity } }))).toEqual([
      { path: `${P}.advanced_setting.timeout`, message: 'must be a number' },
    ]);
    expect(issuesOf(withSpec('freestyle', { script: '', advanced_setting: [] }))).toEqual([
      { path: `${P}.advanced_setting`, message: 'must be an object' },
    ]);
  });

  it('accepts fractional timeouts', () => {
    expect(validateDefinition(withSpec('freestyle', { script: '', advanced_setting: { timeout: 0.5 } })).ok).toBe(true);
  });

  it('keeps timeouts between a second and a hundred years', () => {
    const timeout = (value: number) =>
      issuesOf(withSpec('freestyle', { script: '', advanced_setting: { timeout: value } }));
    const refused = [
      {
        path: `${P}.advanced_setting.timeout`,
        message: 'must be between 1 second and 100 years (0.0167 to 52560000 minutes)',
      },
    ];
    expect(timeout(1e21)).toEqual(refused);
    expect(timeout(1e-7)).toEqual(refused);
    expect(timeout(52_560_001)).toEqual(refused);
    const accepted = (value: number) =>
      validateDefinition(withSpec('freestyle', { script: '', advanced_setting: { timeout: value } })).ok;
    expect(accepted(52_560_000)).toBe(true);
    expect(accepted(1 / 60)).toBe(true);
    expect(
      issuesOf(withSpec('approval', { timeout: 1e21, native_approval: { approve_users: [{ user_name: 'a' }] } })),
    ).toEqual([{ path: 'stages[0].jobs[0].spec.timeout', message: refused[0]!.message }]);
  });
});

describe('validateDefinition: approval spec', () => {
  const P = 'stages[0].jobs[0].spec';
  const users = [{ user_name: 'a' }, { user_id: 'u-2' }, { type: 'task_creator' }];

  it('requires native_approval with approvers', () => {
    expect(issuesOf(withSpec('approval', {}))).toEqual([{ path: `${P}.native_approval`, message: 'is required' }]);
    expect(issuesOf(withSpec('approval', { native_approval: {} }))).toEqual([
      { path: `${P}.native_approval.approve_users`, message: 'is required' },
    ]);
    expect(issuesOf(withSpec('approval', { native_approval: { approve_users: [] } }))).toEqual([
      { path: `${P}.native_approval.approve_users`, message: 'needs at least one approver' },
    ]);
  });

  it('bounds needed_approvers by the approvers, counting task_creator as one', () => {
    expect(
      validateDefinition(withSpec('approval', { native_approval: { approve_users: users, needed_approvers: 3 } })).ok,
    ).toBe(true);
    expect(issuesOf(withSpec('approval', { native_approval: { approve_users: users, needed_approvers: 4 } }))).toEqual([
      { path: `${P}.native_approval.needed_approvers`, message: 'must be between 1 and 3 (the number of approvers)' },
    ]);
    expect(issuesOf(withSpec('approval', { native_approval: { approve_users: users, needed_approvers: -1 } }))).toEqual(
      [{ path: `${P}.native_approval.needed_approvers`, message: 'must be between 1 and 3 (the number of approvers)' }],
    );
    expect(
      issuesOf(
        withSpec('approval', {
          native_approval: { approve_users: [{ type: 'group', group_id: 'g' }], needed_approvers: -1 },
        }),
      ),
    ).toEqual([{ path: `${P}.native_approval.needed_approvers`, message: 'must be at least 1' }]);
    expect(
      issuesOf(withSpec('approval', { native_approval: { approve_users: users, needed_approvers: '2' } })),
    ).toEqual([{ path: `${P}.native_approval.needed_approvers`, message: 'must be an integer' }]);
  });

  it('refuses the same approver listed twice, naming where it was listed first', () => {
    const twice = [{ user_name: 'a' }, { type: 'task_creator' }, { user_name: 'a' }, { type: 'task_creator' }];
    expect(issuesOf(withSpec('approval', { native_approval: { approve_users: twice, needed_approvers: 2 } }))).toEqual([
      {
        path: `${P}.native_approval.approve_users[2]`,
        message: `user "a" is listed already (${P}.native_approval.approve_users[0])`,
      },
      {
        path: `${P}.native_approval.approve_users[3]`,
        message: `task_creator is listed already (${P}.native_approval.approve_users[1])`,
      },
    ]);
    // A name and an id are different keys: which user an id is, only the directory knows.
    const distinct = [{ user_name: 'a' }, { user_id: 'a' }, { type: 'group', group_name: 'a' }];
    expect(validateDefinition(withSpec('approval', { native_approval: { approve_users: distinct } })).ok).toBe(true);
  });

  it('checks timeout, type, description and user shapes', () => {
    expect(
      issuesOf(
        withSpec('approval', {
          timeout: -1,
          type: 'lark',
          description: 5,
          native_approval: { timeout: 'x', approve_users: [{ type: 'user' }, { type: 'group', group_id: 1 }] },
        }),
      ),
    ).toEqual([
      { path: `${P}.type`, message: 'approval type "lark" is not supported yet' },
      { path: `${P}.timeout`, message: 'must be a positive number of minutes' },
      { path: `${P}.description`, message: 'must be a string' },
      { path: `${P}.native_approval.approve_users[0]`, message: 'needs user_name or user_id' },
      { path: `${P}.native_approval.approve_users[1].group_id`, message: 'must be a string' },
      { path: `${P}.native_approval.approve_users[1]`, message: 'needs group_name or group_id' },
      { path: `${P}.native_approval.timeout`, message: 'must be a number' },
    ]);
    expect(issuesOf(withSpec('approval', { type: 3, native_approval: { approve_users: users } }))).toEqual([
      { path: `${P}.type`, message: 'must be a string' },
    ]);
  });
});

describe('validateDefinition: many problems at once', () => {
  it('returns all of them, in document order', () => {
    const def = sampleDefinition();
    const stages = def['stages'] as Record<string, unknown>[];
    (stages[0]!['jobs'] as Record<string, unknown>[])[1]!['name'] = 'compile';
    (stages[1]!['jobs'] as Record<string, unknown>[])[0]!['type'] = 'plugin';
    def['project'] = 7;
    expect(issuesOf(def)).toEqual([
      { path: 'project', message: 'must be a string' },
      { path: 'stages[0].jobs[1].name', message: 'duplicate job name "compile" (already used by stages[0].jobs[0])' },
      { path: 'stages[1].jobs[0].type', message: 'job type "plugin" is not supported yet' },
    ]);
  });
});
