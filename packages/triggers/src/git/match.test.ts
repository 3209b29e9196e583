import { describe, expect, it } from 'vitest';
import type { GitEvent } from './event.js';
import { goRegexp, matchFolders, matchGitTrigger, type MainRepo } from './match.js';

const repo = (overrides: Partial<MainRepo> = {}): MainRepo => ({
  source: 'github',
  repo_owner: 'octo-org',
  repo_name: 'hello',
  branch: 'main',
  events: ['push', 'pull_request', 'tag'],
  ...overrides,
});
const push = (overrides: Partial<GitEvent> = {}): GitEvent => ({
  source: 'github',
  event: 'push',
  repoOwner: 'Octo-Org',
  repoName: 'hello',
  branch: 'main',
  targetBranch: 'main',
  commitId: 'a1',
  commitMessage: 'm',
  committer: 'c',
  changedFiles: ['src/a.ts'],
  payload: {},
  ...overrides,
});
const pr = (target: string): GitEvent =>
  push({ event: 'pull_request', branch: 'feature', targetBranch: target, pr: 1, changedFiles: undefined });

describe('matchGitTrigger', () => {
  it('needs the same provider, repository (case-insensitive) and a subscribed event', () => {
    expect(matchGitTrigger(repo(), push())).toEqual({ ok: true });
    expect(matchGitTrigger(repo({ source: 'gitlab' }), push())).toEqual({
      ok: false,
      reason: 'the trigger watches gitlab, not github',
    });
    expect(matchGitTrigger(repo({ repo_name: 'other' }), push()).ok).toBe(false);
    expect(matchGitTrigger(repo({ events: ['pull_request'] }), push())).toEqual({
      ok: false,
      reason: 'event push is not among pull_request',
    });
  });

  it('matches branches exactly, or as an unanchored Go-style regex when is_regular', () => {
    expect(matchGitTrigger(repo(), push({ branch: 'main2', targetBranch: 'main2' })).ok).toBe(false);
    expect(
      matchGitTrigger(repo({ branch: 'release', is_regular: true }), push({ targetBranch: 'release/1.2' })).ok,
    ).toBe(true);
    expect(
      matchGitTrigger(repo({ branch: '^release$', is_regular: true }), push({ targetBranch: 'release/1.2' })),
    ).toEqual({
      ok: false,
      reason: 'branch release/1.2 does not match ^release$',
    });
  });

  it('reads patterns as Go does: its flags and Unicode classes, no lookaround', () => {
    const main = push({ targetBranch: 'MAIN' });
    expect(matchGitTrigger(repo({ branch: '(?i)^main$', is_regular: true }), main).ok).toBe(true);
    expect(matchGitTrigger(repo({ branch: '^\\pL+$', is_regular: true }), main).ok).toBe(true);
    expect(matchGitTrigger(repo({ branch: '^\\pL+$', is_regular: true }), push({ targetBranch: 'v1' })).ok).toBe(false);
    expect(() => goRegexp('^(?!dev).*')).toThrow('invalid or unsupported Perl syntax: `(?!`');
  });

  it('matches in time linear in the ref name, whatever the pattern', () => {
    // Catastrophic for a backtracking engine: about 2^40 steps on this ref.
    const crafted = push({ targetBranch: `${'a'.repeat(40)}b` });
    expect(matchGitTrigger(repo({ branch: '^(a+)+$', is_regular: true }), crafted).ok).toBe(false);
  });

  it('matches pull requests on the target branch, with the pr_branch / push_branch overrides', () => {
    expect(matchGitTrigger(repo(), pr('main')).ok).toBe(true);
    expect(matchGitTrigger(repo(), pr('dev'))).toEqual({ ok: false, reason: 'target branch dev does not match main' });
    const overridden = repo({ pr_branch: 'dev.*', pr_is_regular: true, push_branch: 'prod' });
    expect(matchGitTrigger(overridden, pr('develop')).ok).toBe(true);
    expect(matchGitTrigger(overridden, push()).ok).toBe(false);
    expect(matchGitTrigger(overridden, push({ targetBranch: 'prod' })).ok).toBe(true);
  });

  it('matches tags by regex, any tag when none is set', () => {
    const tag = push({ event: 'tag', tag: 'v1.2.3', branch: '', targetBranch: '' });
    expect(matchGitTrigger(repo(), tag).ok).toBe(true);
    expect(matchGitTrigger(repo({ tag: '^v\\d+\\.\\d+\\.\\d+$', tag_is_regular: true }), tag).ok).toBe(true);
    expect(matchGitTrigger(repo({ tag: '^rc-', tag_is_regular: true }), tag).ok).toBe(false);
  });

  it('applies match_folders to pushes', () => {
    expect(matchGitTrigger(repo({ match_folders: ['docs/'] }), push())).toEqual({
      ok: false,
      reason: 'no changed file matches docs/',
    });
  });
});

describe('matchFolders (Zadig rules)', () => {
  it('treats no entries, `/` and empty change sets as a match', () => {
    expect(matchFolders(['a/b.go'], [])).toBe(true);
    expect(matchFolders(['a/b.go'], ['/'])).toBe(true);
    expect(matchFolders([], ['svc/'])).toBe(true);
    expect(matchFolders(undefined, ['svc/'])).toBe(true);
  });

  it('includes by path prefix and excludes by prefix, suffix or *.ext', () => {
    expect(matchFolders(['svc/a.go'], ['svc/'])).toBe(true);
    expect(matchFolders(['svc/a.go'], ['/svc'])).toBe(true);
    expect(matchFolders(['web/a.go'], ['svc/'])).toBe(false);
    expect(matchFolders(['svc/README.md'], ['/', '!*.md'])).toBe(false);
    expect(matchFolders(['svc/README.md', 'svc/main.go'], ['/', '!*.md'])).toBe(true);
    expect(matchFolders(['docs/x.go'], ['/', '!docs/'])).toBe(false);
    expect(matchFolders(['a/generated.pb.go'], ['/', '!.pb.go'])).toBe(false);
  });
});
