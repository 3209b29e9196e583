import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseGitee, verifyGitee } from './gitee.js';
import { parseGithub, verifyGithub } from './github.js';
import { parseGitlab, verifyGitlab } from './gitlab.js';
import {
  githubPullRequest,
  githubPush,
  giteePush,
  giteePullRequest,
  gitlabMergeRequest,
  gitlabPush,
  gitlabTagPush,
} from './payloads.fixture.js';

const SECRET = 'It is a secret!';

describe('GitHub', () => {
  const body = Buffer.from(JSON.stringify(githubPush()));
  const signature = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;

  it('verifies X-Hub-Signature-256 over the raw body and refuses anything else', () => {
    expect(verifyGithub({ 'x-hub-signature-256': signature }, body, SECRET)).toBe(true);
    expect(verifyGithub({ 'x-hub-signature-256': signature }, body, 'another secret')).toBe(false);
    expect(verifyGithub({ 'x-hub-signature-256': signature }, Buffer.from(body.toString() + ' '), SECRET)).toBe(false);
    expect(verifyGithub({ 'x-hub-signature-256': signature.replace('sha256=', 'sha1=') }, body, SECRET)).toBe(false);
    expect(verifyGithub({}, body, SECRET)).toBe(false);
  });

  it('reads a branch push with its changed files and head commit', () => {
    const parsed = parseGithub({ 'x-github-event': 'push' }, githubPush());
    expect(parsed).toMatchObject({
      kind: 'event',
      event: {
        source: 'github',
        event: 'push',
        repoOwner: 'octo-org',
        repoName: 'hello',
        branch: 'main',
        targetBranch: 'main',
        commitId: 'a'.repeat(40),
        commitMessage: 'Fix the thing',
        committer: 'octocat',
        changedFiles: ['src/app.ts', 'README.md', 'docs/old.md'],
      },
    });
  });

  it('reads a tag creation from the push of refs/tags/… and ignores tag deletion', () => {
    const tag = githubPush({ ref: 'refs/tags/v1.2.0', created: true });
    expect(parseGithub({ 'x-github-event': 'push' }, tag)).toMatchObject({
      kind: 'event',
      event: { event: 'tag', tag: 'v1.2.0' },
    });
    const deleted = githubPush({ ref: 'refs/tags/v1.2.0', deleted: true, head_commit: null });
    expect(parseGithub({ 'x-github-event': 'push' }, deleted)).toMatchObject({
      kind: 'ignored',
      reason: 'the ref was deleted',
    });
  });

  it('reads opened/synchronize/reopened pull requests on their target branch, and only open ones', () => {
    expect(parseGithub({ 'x-github-event': 'pull_request' }, githubPullRequest())).toMatchObject({
      kind: 'event',
      event: { event: 'pull_request', branch: 'feature', targetBranch: 'main', pr: 7, commitId: 'b'.repeat(40) },
    });
    expect(parseGithub({ 'x-github-event': 'pull_request' }, githubPullRequest({ action: 'closed' }))).toMatchObject({
      kind: 'ignored',
      reason: 'pull request action "closed" does not trigger',
    });
    expect(parseGithub({ 'x-github-event': 'pull_request' }, githubPullRequest({ state: 'closed' }))).toMatchObject({
      kind: 'ignored',
      reason: 'the pull request is not open',
    });
  });

  it('answers ping and ignores other events with the reason', () => {
    expect(parseGithub({ 'x-github-event': 'ping' }, { zen: 'Keep it logically awesome.' })).toEqual({ kind: 'ping' });
    expect(parseGithub({ 'x-github-event': 'issues' }, githubPush())).toMatchObject({
      kind: 'ignored',
      reason: 'GitHub event "issues" does not trigger runs',
    });
  });
});

describe('GitLab', () => {
  it('compares X-Gitlab-Token with the secret', () => {
    expect(verifyGitlab({ 'x-gitlab-token': SECRET }, Buffer.alloc(0), SECRET)).toBe(true);
    expect(verifyGitlab({ 'x-gitlab-token': 'guess' }, Buffer.alloc(0), SECRET)).toBe(false);
    expect(verifyGitlab({}, Buffer.alloc(0), SECRET)).toBe(false);
  });

  it('reads pushes of nested group projects, tag pushes and merge requests', () => {
    expect(parseGitlab({ 'x-gitlab-event': 'Push Hook' }, gitlabPush())).toMatchObject({
      kind: 'event',
      event: {
        event: 'push',
        repoOwner: 'group/sub',
        repoName: 'svc',
        branch: 'develop',
        committer: 'jsmith',
        changedFiles: ['api/x.go'],
      },
    });
    expect(parseGitlab({ 'x-gitlab-event': 'Tag Push Hook' }, gitlabTagPush())).toMatchObject({
      kind: 'event',
      event: { event: 'tag', tag: 'v2.0.0' },
    });
    expect(parseGitlab({ 'x-gitlab-event': 'Merge Request Hook' }, gitlabMergeRequest())).toMatchObject({
      kind: 'event',
      event: { event: 'pull_request', branch: 'feat', targetBranch: 'develop', pr: 12, commitId: 'c'.repeat(40) },
    });
  });

  it('ignores branch deletions and merge request updates without new commits', () => {
    expect(
      parseGitlab({ 'x-gitlab-event': 'Push Hook' }, gitlabPush({ after: '0'.repeat(40), checkout_sha: null })),
    ).toMatchObject({
      kind: 'ignored',
      reason: 'the ref was deleted',
    });
    const titleOnly = gitlabMergeRequest({ action: 'update', oldrev: undefined });
    expect(parseGitlab({ 'x-gitlab-event': 'Merge Request Hook' }, titleOnly)).toMatchObject({
      kind: 'ignored',
      reason: 'the merge request update carries no new commits',
    });
  });
});

describe('Gitee', () => {
  const now = 1_700_000_000_000;
  const sign = (timestamp: number, secret = SECRET) =>
    createHmac('sha256', secret).update(`${timestamp}\n${secret}`).digest('base64');

  it('accepts the password as is, or the timestamped signature within an hour', () => {
    expect(verifyGitee({ 'x-gitee-token': SECRET }, Buffer.alloc(0), SECRET, now)).toBe(true);
    const signed = { 'x-gitee-token': sign(now - 1000), 'x-gitee-timestamp': String(now - 1000) };
    expect(verifyGitee(signed, Buffer.alloc(0), SECRET, now)).toBe(true);
    expect(verifyGitee({ ...signed, 'x-gitee-timestamp': String(now - 2000) }, Buffer.alloc(0), SECRET, now)).toBe(
      false,
    );
    const old = now - 2 * 60 * 60 * 1000;
    expect(
      verifyGitee({ 'x-gitee-token': sign(old), 'x-gitee-timestamp': String(old) }, Buffer.alloc(0), SECRET, now),
    ).toBe(false);
    expect(
      verifyGitee(
        { 'x-gitee-token': sign(now, 'other'), 'x-gitee-timestamp': String(now) },
        Buffer.alloc(0),
        SECRET,
        now,
      ),
    ).toBe(false);
  });

  it('reads pushes and pull requests', () => {
    expect(parseGitee({ 'x-gitee-event': 'Push Hook' }, giteePush())).toMatchObject({
      kind: 'event',
      event: { event: 'push', repoOwner: 'oschina', repoName: 'gitee', branch: 'master', changedFiles: ['README.md'] },
    });
    expect(parseGitee({ 'x-gitee-event': 'Merge Request Hook' }, giteePullRequest())).toMatchObject({
      kind: 'event',
      event: { event: 'pull_request', branch: 'dev', targetBranch: 'master', pr: 3 },
    });
  });
});

describe('payload fields of the wrong type', () => {
  // Read before any signature is checked: they must read as absent, not throw.
  it('read as absent, not as "[object Object]" or NaN', () => {
    const pr = githubPullRequest();
    pr.pull_request.user = { login: { x: 1 } };
    pr.pull_request.title = ['t'];
    expect(parseGithub({ 'x-github-event': 'pull_request' }, pr)).toMatchObject({
      kind: 'event',
      event: { pr: 7, commitMessage: '', committer: 'contributor' },
    });
    const push = githubPush();
    push.head_commit.message = { x: 1 };
    expect(parseGithub({ 'x-github-event': 'push' }, push)).toMatchObject({ event: { commitMessage: '' } });

    const numberless = githubPullRequest();
    numberless.pull_request.number = { x: 1 };
    expect(parseGithub({ 'x-github-event': 'pull_request' }, numberless)).toMatchObject({
      kind: 'ignored',
      reason: 'the pull request has no number',
    });
    expect(
      parseGitlab({ 'x-gitlab-event': 'Merge Request Hook' }, gitlabMergeRequest({ iid: 'twelve' })),
    ).toMatchObject({ kind: 'ignored', reason: 'the merge request has no number' });
    expect(parseGitlab({ 'x-gitlab-event': 'Merge Request Hook' }, gitlabMergeRequest({ iid: '12' }))).toMatchObject({
      kind: 'event',
      event: { pr: 12 },
    });
  });

  it('read as absent in every provider', () => {
    expect(parseGithub({ 'x-github-event': 'push' }, githubPush({ ref: 1, head_commit: {} }))).toMatchObject({
      kind: 'ignored',
      reason: 'unsupported ref 1',
    });
    expect(parseGithub({ 'x-github-event': 'push' }, githubPush({ commits: [null, 5, { added: 'a' }] }))).toMatchObject(
      { kind: 'event', event: { changedFiles: [] } },
    );
    expect(parseGitlab({ 'x-gitlab-event': 'Push Hook' }, gitlabPush({ commits: {} }))).toMatchObject({
      kind: 'event',
      event: { changedFiles: [] },
    });
    expect(
      parseGitee({ 'x-gitee-event': 'Push Hook' }, { ...giteePush(), commits: 5, head_commit: undefined }),
    ).toMatchObject({
      kind: 'event',
      event: { changedFiles: [] },
    });
  });
});
