// Provider payloads in their documented shapes, trimmed to the fields a delivery is read by, plus a
// few that must never leak (Gitee echoes the hook password). Overrides patch the top level.

export function githubPush(overrides: Record<string, any> = {}): any {
  return {
    ref: 'refs/heads/main',
    before: '9'.repeat(40),
    after: 'a'.repeat(40),
    created: false,
    deleted: false,
    repository: { id: 1, name: 'hello', full_name: 'octo-org/hello', owner: { login: 'octo-org', name: 'octo-org' } },
    pusher: { name: 'octocat', email: 'octocat@example.com' },
    commits: [
      { id: 'f'.repeat(40), message: 'Start', added: ['src/app.ts'], modified: ['README.md'], removed: [] },
      { id: 'a'.repeat(40), message: 'Fix the thing', added: [], modified: ['src/app.ts'], removed: ['docs/old.md'] },
    ],
    head_commit: {
      id: 'a'.repeat(40),
      message: 'Fix the thing',
      committer: { name: 'Octo Cat', email: 'octocat@example.com', username: 'octocat' },
    },
    sender: { login: 'octocat' },
    ...overrides,
  };
}

export function githubPullRequest(
  overrides: { action?: string; state?: string; sha?: string; number?: number } = {},
): any {
  const number = overrides.number ?? 7;
  return {
    action: overrides.action ?? 'opened',
    number,
    pull_request: {
      number,
      state: overrides.state ?? 'open',
      title: 'Add feature',
      user: { login: 'contributor' },
      head: { ref: 'feature', sha: overrides.sha ?? 'b'.repeat(40) },
      base: { ref: 'main', sha: '1'.repeat(40) },
    },
    repository: { id: 1, name: 'hello', full_name: 'octo-org/hello', owner: { login: 'octo-org' } },
    sender: { login: 'contributor' },
  };
}

export function gitlabPush(overrides: Record<string, any> = {}): any {
  return {
    object_kind: 'push',
    event_name: 'push',
    before: '9'.repeat(40),
    after: 'd'.repeat(40),
    ref: 'refs/heads/develop',
    checkout_sha: 'd'.repeat(40),
    user_name: 'John Smith',
    user_username: 'jsmith',
    project: { id: 15, name: 'svc', path_with_namespace: 'group/sub/svc' },
    commits: [
      {
        id: 'd'.repeat(40),
        message: 'Update API',
        added: [],
        modified: ['api/x.go'],
        removed: [],
        author: { name: 'John Smith' },
      },
    ],
    total_commits_count: 1,
    ...overrides,
  };
}

export function gitlabTagPush(): any {
  return {
    object_kind: 'tag_push',
    event_name: 'tag_push',
    before: '0'.repeat(40),
    after: 'e'.repeat(40),
    ref: 'refs/tags/v2.0.0',
    checkout_sha: 'e'.repeat(40),
    user_username: 'jsmith',
    project: { id: 15, name: 'svc', path_with_namespace: 'group/sub/svc' },
    commits: [],
  };
}

export function gitlabMergeRequest(overrides: Record<string, any> = {}): any {
  const attrs: Record<string, any> = {
    iid: 12,
    title: 'Feature',
    state: 'opened',
    action: 'open',
    source_branch: 'feat',
    target_branch: 'develop',
    last_commit: { id: 'c'.repeat(40), message: 'Feature commit', author: { name: 'Jane' } },
    oldrev: 'b'.repeat(40),
    ...overrides,
  };
  for (const [k, v] of Object.entries(attrs)) if (v === undefined) delete attrs[k];
  return {
    object_kind: 'merge_request',
    user: { username: 'jane' },
    project: { id: 15, name: 'svc', path_with_namespace: 'group/sub/svc' },
    object_attributes: attrs,
  };
}

export function giteePush(): any {
  return {
    hook_name: 'push_hooks',
    password: 'pwd-never-in-variables',
    sign: 'rLEHLuZRIQHuTPeXMib9Czoq9dVXO4TsQcmQQHtjXHA=',
    timestamp: '1576754827988',
    ref: 'refs/heads/master',
    before: '0'.repeat(40),
    after: '1cdcd819599cbb4099289dbbec762452f006cb40',
    created: false,
    deleted: false,
    commits: [
      {
        id: '1cdcd819599cbb4099289dbbec762452f006cb40',
        message: 'Update README.md',
        added: [],
        modified: ['README.md'],
        removed: [],
        committer: { name: 'liwen', username: 'liwen' },
      },
    ],
    head_commit: {
      id: '1cdcd819599cbb4099289dbbec762452f006cb40',
      message: 'Update README.md',
      committer: { name: 'liwen', username: 'liwen' },
    },
    repository: { path: 'gitee', namespace: 'oschina', full_name: 'oschina/gitee', name: 'gitee' },
    user_name: 'liwen',
  };
}

export function giteePullRequest(): any {
  return {
    hook_name: 'merge_request_hooks',
    password: 'pwd-never-in-variables',
    action: 'open',
    pull_request: {
      number: 3,
      state: 'open',
      title: 'Dev into master',
      head: { ref: 'dev', sha: '2'.repeat(40) },
      base: { ref: 'master', sha: '3'.repeat(40) },
      user: { login: 'liwen' },
    },
    repository: { path: 'gitee', namespace: 'oschina', full_name: 'oschina/gitee', name: 'gitee' },
  };
}
