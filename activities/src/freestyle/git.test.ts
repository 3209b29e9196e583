import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FreestyleRepo } from '@stagecoach/spec';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { redactUrl, urlCredentials } from './git.js';
import { GitCheckoutError, jobWorkspaceDir, runFreestyleJob, type FreestyleJobDeps } from './index.js';

const gitEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: 't',
  GIT_AUTHOR_EMAIL: 't@example.com',
  GIT_COMMITTER_NAME: 't',
  GIT_COMMITTER_EMAIL: 't@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
};
const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', args, { cwd, env: gitEnv, encoding: 'utf8' }).trim();

let tmp: string;
let bare: string;
const c: Record<string, string> = {};

/**
 * origin.git: main = one → two → four, feature = one → three, tag v1.0.0 = one,
 * refs/pull/1/head = pr-one (GitHub style, adds pr.txt), refs/merge-requests/2/head = mr-two
 * (GitLab style, adds mr.txt), refs/pull/3/head = clash (changes state.txt as main did: a conflict).
 */
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'sc-git-'));
  const work = join(tmp, 'work');
  bare = join(tmp, 'origin.git');
  git(tmp, 'init', '--quiet', '-b', 'main', work);
  const commit = (name: string, file = 'state.txt'): string => {
    execFileSync('bash', ['-c', `echo ${name} > ${file}`], { cwd: work });
    git(work, 'add', '-A');
    git(work, 'commit', '--quiet', '-m', name);
    return git(work, 'rev-parse', 'HEAD');
  };
  c.one = commit('one');
  git(work, 'tag', 'v1.0.0');
  c.two = commit('two');
  git(work, 'checkout', '--quiet', '-b', 'feature', c.one);
  c.three = commit('three');
  git(work, 'checkout', '--quiet', '-b', 'pr', c.one);
  c.prOne = commit('pr-one', 'pr.txt');
  git(work, 'checkout', '--quiet', '-b', 'mr', c.one);
  c.mrTwo = commit('mr-two', 'mr.txt');
  git(work, 'checkout', '--quiet', '-b', 'clash', c.one);
  c.clash = commit('clash');
  git(work, 'checkout', '--quiet', 'main');
  c.four = commit('four');
  git(tmp, 'init', '--quiet', '--bare', '-b', 'main', bare);
  git(work, 'push', '--quiet', bare, 'main', 'feature', 'v1.0.0');
  git(
    work,
    'push',
    '--quiet',
    bare,
    `${c.prOne}:refs/pull/1/head`,
    `${c.mrTwo}:refs/merge-requests/2/head`,
    `${c.clash}:refs/pull/3/head`,
  );
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

let n = 0;
async function checkout(repos: FreestyleRepo[], script = 'true') {
  const runId = `run-${++n}`;
  const chunks: string[] = [];
  const deps: FreestyleJobDeps = {
    log: { write: (t) => chunks.push(t) },
    signal: new AbortController().signal,
    heartbeat: vi.fn(),
  };
  const result = await runFreestyleJob(
    { runId, job: 'build', spec: { script, repos }, env: {}, secrets: {}, workspaceRoot: tmp },
    deps,
  );
  const ws = jobWorkspaceDir(tmp, runId, 'build');
  return {
    result,
    log: chunks.join(''),
    ws,
    state: (path: string) => readFile(join(ws, path, 'state.txt'), 'utf8').then((s) => s.trim()),
    head: (path: string) => git(join(ws, path), 'rev-parse', 'HEAD'),
    git: (path: string, ...args: string[]) => git(join(ws, path), ...args),
  };
}

async function failure(repos: FreestyleRepo[]): Promise<{ err: unknown; log: string }> {
  const chunks: string[] = [];
  const deps: FreestyleJobDeps = {
    log: { write: (t) => chunks.push(t) },
    signal: new AbortController().signal,
    heartbeat: vi.fn(),
  };
  const err = await runFreestyleJob(
    {
      runId: `run-${++n}`,
      job: 'build',
      spec: { script: 'true', repos },
      env: {},
      secrets: { S: 'job-secret' },
      workspaceRoot: tmp,
    },
    deps,
  ).catch((e: unknown) => e);
  return { err, log: chunks.join('') };
}

describe.concurrent('repo checkout', () => {
  it('clones the default branch, shallow, into repo_name', async () => {
    const r = await checkout([{ repo_name: 'app', address: `file://${bare}` }]);
    expect(await r.state('app')).toBe('four');
    expect(r.git('app', 'rev-list', '--count', 'HEAD')).toBe('1');
    expect(r.log).toContain(`checked out app at ${c.four}`);
  });

  it('clones by branch into checkout_path, with a custom remote name', async () => {
    const r = await checkout([
      { repo_name: 'app', address: bare, branch: 'feature', checkout_path: 'src/app', remote_name: 'upstream' },
    ]);
    expect(await r.state('src/app')).toBe('three');
    expect(r.git('src/app', 'remote')).toBe('upstream');
    expect(r.git('src/app', 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('feature');
  });

  it('clones by tag (tag wins over branch)', async () => {
    const r = await checkout([{ repo_name: 'app', address: `file://${bare}`, tag: 'v1.0.0', branch: 'feature' }]);
    expect(r.head('app')).toBe(c.one);
  });

  it('checks out a commit that is no branch tip', async () => {
    const r = await checkout([{ repo_name: 'app', address: `file://${bare}`, commit_id: c.two }]);
    expect(r.head('app')).toBe(c.two);
    expect(await r.state('app')).toBe('two');
  });

  it('checks out a commit on its branch (named after the branch)', async () => {
    const r = await checkout([{ repo_name: 'app', address: `file://${bare}`, branch: 'main', commit_id: c.two }]);
    expect(r.head('app')).toBe(c.two);
    expect(r.git('app', 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('main');
  });

  it('resolves a short commit id through the full-fetch fallback', async () => {
    const r = await checkout([{ repo_name: 'app', address: `file://${bare}`, commit_id: c.two!.slice(0, 10) }]);
    expect(r.head('app')).toBe(c.two);
  });

  it('checks out a GitHub PR head (refs/pull/N/head) when no target branch is named', async () => {
    const r = await checkout([{ repo_name: 'app', address: `file://${bare}`, pr: 1 }]);
    expect(r.head('app')).toBe(c.prOne);
  });

  it('builds a PR merged into its target branch, as Zadig does', async () => {
    const r = await checkout([{ repo_name: 'app', address: `file://${bare}`, branch: 'main', pr: 1 }]);
    expect(r.git('app', 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('main');
    expect(r.git('app', 'rev-parse', 'HEAD^1', 'HEAD^2').split('\n')).toEqual([c.four, c.prOne]);
    expect(r.git('app', 'show', 'HEAD:state.txt')).toBe('four');
    expect(r.git('app', 'show', 'HEAD:pr.txt')).toBe('pr-one');
  });

  it('merges several PRs into the branch in order, and pins a PR to the commit the trigger saw', async () => {
    const both = await checkout([{ repo_name: 'app', address: `file://${bare}`, branch: 'main', prs: [1, 2] }]);
    expect(both.git('app', 'show', 'HEAD:pr.txt')).toBe('pr-one');
    expect(both.git('app', 'show', 'HEAD:mr.txt')).toBe('mr-two');
    expect(both.git('app', 'rev-list', '--merges', '--count', 'HEAD')).toBe('2');
    const pinned = await checkout([
      { repo_name: 'app', address: `file://${bare}`, branch: 'feature', pr: 1, commit_id: c.prOne },
    ]);
    expect(pinned.git('app', 'rev-parse', 'HEAD^1', 'HEAD^2').split('\n')).toEqual([c.three, c.prOne]);
  });

  it('fails naming the PR and the files when it does not merge cleanly', async () => {
    const { err } = await failure([{ repo_name: 'app', address: `file://${bare}`, branch: 'main', pr: 3 }]);
    expect(err).toBeInstanceOf(GitCheckoutError);
    expect((err as Error).message).toMatch(/PR #3 does not merge cleanly into main \(conflicts: state\.txt\)/);
    const several = await failure([{ repo_name: 'app', address: `file://${bare}`, prs: [1, 2] }]);
    expect((several.err as Error).message).toMatch(/several PRs \(prs\) need the branch/);
  });

  it('checks out a GitLab merge request head (refs/merge-requests/N/head)', async () => {
    const r = await checkout([{ repo_name: 'app', address: `file://${bare}`, prs: [2] }]);
    expect(r.head('app')).toBe(c.mrTwo);
  });

  it('clones several repos, then the script sees them', async () => {
    const r = await checkout(
      [
        { repo_name: 'a', address: `file://${bare}` },
        { repo_name: 'b', address: `file://${bare}`, branch: 'feature' },
      ],
      'cat a/state.txt b/state.txt',
    );
    expect(r.log).toContain('four\nthree\n');
  });

  it('fails naming the repo and quoting git when a branch does not exist', async () => {
    const { err } = await failure([{ repo_name: 'my-repo', address: `file://${bare}`, branch: 'nope' }]);
    expect(err).toBeInstanceOf(GitCheckoutError);
    expect((err as GitCheckoutError).repo).toBe('my-repo');
    expect((err as Error).message).toMatch(/my-repo/);
    expect((err as Error).message).toMatch(/nope/);
  });

  it('fails clearly when the remote default branch does not exist', async () => {
    const empty = join(tmp, 'headless.git');
    git(tmp, 'init', '--quiet', '--bare', '-b', 'trunk', empty);
    git(join(tmp, 'work'), 'push', '--quiet', empty, 'main');
    const { err } = await failure([{ repo_name: 'headless', address: `file://${empty}` }]);
    expect((err as Error).message).toMatch(/headless.*nothing was checked out/);
  });

  it('fails on an unknown PR and a commit that is not there', async () => {
    expect((await failure([{ repo_name: 'r', address: `file://${bare}`, pr: 42 }])).err).toBeInstanceOf(
      GitCheckoutError,
    );
    const missing = await failure([{ repo_name: 'r', address: `file://${bare}`, commit_id: 'deadbeef'.repeat(5) }]);
    expect((missing.err as Error).message).toMatch(/deadbeef/);
  });

  it('rejects checkout paths outside the workspace, and takes a name that only starts with ..', async () => {
    const { err } = await failure([{ repo_name: 'r', address: bare, checkout_path: '../../escape' }]);
    expect((err as Error).message).toMatch(/leaves the workspace/);
    const inside = await checkout([{ repo_name: 'r', address: `file://${bare}`, checkout_path: '..app' }]);
    expect(await inside.state('..app')).toBe('four');
  });

  it('never logs or throws URL credentials', async () => {
    // port 9 (discard) on loopback: refused at once, and git names the URL in its error
    const { err, log } = await failure([
      { repo_name: 'private', address: 'https://bob:Pa55w0rd@127.0.0.1:9/x.git', branch: 'main' },
    ]);
    expect(err).toBeInstanceOf(GitCheckoutError);
    expect((err as Error).message).toContain('private');
    expect((err as Error).message).not.toContain('Pa55w0rd');
    expect(log).not.toContain('Pa55w0rd');
    expect(log).toContain('https://***@127.0.0.1:9/x.git');
  });
});

describe('url credentials', () => {
  it('redacts userinfo and lists the secret parts', () => {
    expect(redactUrl('https://u:p%40ss@host/r.git')).toBe('https://***@host/r.git');
    expect(redactUrl('git@github.com:o/r.git')).toBe('git@github.com:o/r.git');
    expect(urlCredentials('https://u:p%40ss@host/r.git')).toEqual(['u:p%40ss', 'p%40ss', 'u:p@ss', 'p@ss']);
    expect(urlCredentials('https://ghp_token@github.com/o/r')).toEqual(['ghp_token']);
    expect(urlCredentials('ssh://git@host/r.git')).toEqual([]);
  });
});
