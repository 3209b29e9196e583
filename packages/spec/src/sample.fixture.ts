// Shared by the unit tests (validate, json-schema); not exported from the package.

/** A small but complete definition exercising every supported feature. */
export function sampleDefinition(): Record<string, unknown> {
  return {
    name: 'build-deploy',
    display_name: 'Build & Deploy',
    project: 'demo',
    description: 'demo workflow',
    category: '',
    disabled: false,
    remark_required: false,
    concurrency_limit: 1,
    hash: 'abc',
    params: [
      { name: 'env', type: 'choice', choice_option: ['dev', 'prod'], value: 'dev', source: 'runtime' },
      { name: 'svcs', type: 'multi-select', choice_option: ['a', 'b'], choice_value: ['a'] },
      { name: 'token', type: 'string', is_credential: true, required: true, value: '' },
    ],
    stages: [
      {
        name: 'build',
        parallel: true,
        jobs: [
          {
            name: 'compile',
            type: 'freestyle',
            spec: {
              script: 'make',
              repos: [{ repo_name: 'app', address: 'https://git.example/app.git', branch: 'main', pr: 3, prs: [3] }],
              envs: [{ key: 'GOFLAGS', value: '-mod=vendor', is_credential: false }],
              advanced_setting: { timeout: 30, outputs: [{ name: 'IMAGE' }, { name: '_tag2' }], cluster_id: 'x' },
              object_storage_upload: { enabled: false },
            },
            error_policy: { policy: 'retry', maximum_retry: 2 },
            execute_policy: {
              type: 'execute',
              rules: [{ field: '{{.workflow.params.env}}', verb: '=', value: 'prod' }],
            },
          },
          { name: '构建-二', type: 'freestyle', spec: { script: '' }, run_policy: 'default_not_run' },
        ],
      },
      {
        name: 'release',
        manual_exec: { enabled: true, modify_params: false, manual_exec_users: [{ type: 'task_creator' }] },
        approval: { enabled: false, type: 'lark' },
        jobs: [
          {
            name: 'approve',
            type: 'approval',
            spec: {
              timeout: 10,
              type: 'native',
              description: 'ok?',
              native_approval: {
                approve_users: [{ user_name: 'alice' }, { type: 'task_creator' }],
                needed_approvers: 2,
              },
            },
            error_policy: { policy: 'manual_check', approval_users: [{ user_id: 'u-1' }] },
          },
        ],
      },
    ],
  };
}
