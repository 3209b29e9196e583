import { existsSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { COMMIT_ID_RE, REMOTE_NAME_RE, type FreestyleRepo } from '@stagecoach/spec';
import { GitCheckoutError } from './errors.js';
import { runSupervised, type SupervisorContext } from './supervisor.js';

/** Bytes of git stderr kept for an error message. */
const STDERR_KEEP = 8 * 1024;
const SCHEME_USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)([^@/?#]+)@/i;

/** `https://user:token@host/x` → `https://***@host/x`, for anything we print. */
export function redactUrl(url: string): string {
  return url.replace(SCHEME_USERINFO, '$1***@');
}

/**
 * Credential parts of a clone URL, to be masked wherever git echoes them. An ssh user name (`ssh://git@...`)
 * is not a secret and masking "git" would wreck every git message; http(s) userinfo always is (a token is
 * often given as the user name).
 */
export function urlCredentials(url: string): string[] {
  const m = SCHEME_USERINFO.exec(url);
  if (!m?.[1] || !m[2]) return [];
  const scheme = m[1].toLowerCase();
  const userinfo = m[2];
  const colon = userinfo.indexOf(':');
  const found: string[] = [];
  if (colon >= 0) found.push(userinfo, userinfo.slice(colon + 1));
  else if (scheme.startsWith('http')) found.push(userinfo);
  for (const value of [...found]) {
    try {
      found.push(decodeURIComponent(value));
    } catch {
      // not percent-encoded: already listed
    }
  }
  return [...new Set(found.filter((s) => s.length > 0))];
}

/** Environment for git: never prompt (a job has no terminal), keep the worker's ssh agent and identity. */
export function gitEnv(base: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = { ...base, GIT_TERMINAL_PROMPT: '0' };
  for (const key of ['SSH_AUTH_SOCK', 'GIT_SSH_COMMAND', 'GIT_SSH']) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return env;
}

export interface GitDeps {
  ctx: SupervisorContext;
  env: Record<string, string>;
  /** masks job secrets and URL credentials */
  mask: (text: string) => string;
  /** writes one (already masked) log line */
  logLine: (line: string) => void;
}

interface GitRun {
  ok: boolean;
  stdout: string;
  stderr: string;
}

class RepoCheckout {
  private readonly name: string;
  constructor(
    private readonly repo: FreestyleRepo,
    private readonly deps: GitDeps,
  ) {
    this.name = repo.repo_name;
  }

  private fail(detail: string): never {
    throw new GitCheckoutError(this.name, this.deps.mask(redactUrl(detail)));
  }

  private async git(args: string[], cwd: string): Promise<GitRun> {
    this.deps.logLine(`$ git ${args.map((a) => redactUrl(a)).join(' ')}`);
    let stdout = '';
    let stderr = '';
    const exit = await runSupervised(
      {
        command: 'git',
        args: ['-c', 'advice.detachedHead=false', ...args],
        cwd,
        env: this.deps.env,
        onStdout: (c) => (stdout = (stdout + c.toString('utf8')).slice(-STDERR_KEEP)),
        onStderr: (c) => (stderr = (stderr + c.toString('utf8')).slice(-STDERR_KEEP)),
      },
      this.deps.ctx,
    );
    return { ok: exit.code === 0, stdout: stdout.trim(), stderr: stderr.trim() };
  }

  private async mustGit(args: string[], cwd: string): Promise<GitRun> {
    const run = await this.git(args, cwd);
    if (!run.ok) this.fail(`git ${args[0] ?? ''}: ${run.stderr || 'failed'}`);
    return run;
  }

  async run(workspace: string): Promise<void> {
    const { repo } = this;
    const url = repo.address;
    if (!url) this.fail('no clone address');
    const dest = resolve(workspace, repo.checkout_path || repo.repo_name);
    const rel = relative(workspace, dest);
    if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel))
      this.fail(`checkout path "${rel}" leaves the workspace`);
    const remote = repo.remote_name || 'origin';
    if (!REMOTE_NAME_RE.test(remote)) this.fail(`invalid remote name "${remote}"`);
    const commit = repo.commit_id || undefined;
    if (commit !== undefined && !COMMIT_ID_RE.test(commit)) this.fail(`invalid commit_id "${commit}"`);
    const prs = repo.pr !== undefined ? [repo.pr] : (repo.prs ?? []);
    for (const n of prs) if (!Number.isInteger(n) || n <= 0) this.fail(`invalid PR number "${String(n)}"`);
    const pr = prs[0];
    const ref = repo.tag || repo.branch || undefined;
    if (prs.length > 1 && !repo.branch) this.fail('several PRs (prs) need the branch they are merged into');

    if (prs.length > 0 && repo.branch && !repo.tag) {
      await this.mergeBuild(remote, url, repo.branch, prs, commit, dest, workspace);
    } else if (pr === undefined && commit === undefined) {
      // Tag wins over branch, as in Zadig; `--branch` takes either. Shallow: CI needs the tree, not history.
      const args = ['clone', '--quiet', '--depth', '1', '--origin', remote];
      if (ref) args.push('--branch', ref);
      await this.mustGit([...args, '--', url, dest], workspace);
    } else {
      await this.mustGit(['init', '--quiet', '--', dest], workspace);
      await this.mustGit(['remote', 'add', '--', remote, url], dest);
      let target = commit;
      if (pr !== undefined) {
        const prRef = await this.fetchPr(remote, pr, dest);
        target ??= prRef;
      }
      if (commit !== undefined) await this.fetchCommit(remote, commit, repo.branch, pr, dest);
      // With a branch, check the commit out as that branch (scripts read the branch name); else detached.
      const checkout =
        commit !== undefined && repo.branch
          ? ['checkout', '--quiet', '-B', repo.branch, commit, '--']
          : ['checkout', '--quiet', '--detach', target ?? 'HEAD', '--'];
      await this.mustGit(checkout, dest);
    }
    const head = await this.git(['rev-parse', '--verify', '--quiet', 'HEAD'], dest);
    // e.g. a clone without branch whose remote HEAD names a branch that does not exist: git only warns
    if (!head.ok) this.fail('nothing was checked out (does the remote default branch exist?)');
    this.deps.logLine(`checked out ${this.name} at ${head.stdout} into ${relative(workspace, dest)}`);
  }

  /**
   * A PR build as Zadig makes it: the target branch with each PR head merged into it, in order (a
   * PR trigger pins the head to the event's commit). A PR that does not merge cleanly fails the job,
   * naming the PR and the conflicting files. Merging needs history, so these fetches are not shallow.
   */
  private async mergeBuild(
    remote: string,
    url: string,
    branch: string,
    prs: number[],
    commit: string | undefined,
    dest: string,
    workspace: string,
  ): Promise<void> {
    await this.mustGit(['init', '--quiet', '--', dest], workspace);
    await this.mustGit(['remote', 'add', '--', remote, url], dest);
    const fetched = await this.git(
      ['fetch', '--quiet', remote, `+refs/heads/${branch}:refs/remotes/${remote}/${branch}`],
      dest,
    );
    if (!fetched.ok) this.fail(`branch ${branch} not found: ${fetched.stderr}`);
    const heads: { pr: number; ref: string }[] = [];
    for (const pr of prs) heads.push({ pr, ref: await this.fetchPr(remote, pr, dest, { shallow: false }) });
    if (commit !== undefined && prs.length === 1) {
      // Usually the PR head just fetched; otherwise fetch it, with history (a shallow fetch would cut
      // the merge base off).
      const known = await this.git(['rev-parse', '--verify', '--quiet', `${commit}^{commit}`], dest);
      if (!known.ok && !(await this.git(['fetch', '--quiet', remote, commit], dest)).ok) {
        this.fail(`commit ${commit} of PR #${prs[0]} not found`);
      }
      heads[0] = { pr: prs[0]!, ref: commit };
    }
    await this.mustGit(['checkout', '--quiet', '-B', branch, `refs/remotes/${remote}/${branch}`, '--'], dest);
    for (const { pr, ref } of heads) {
      const merged = await this.git(
        [
          '-c',
          'user.name=Stagecoach',
          '-c',
          'user.email=stagecoach@localhost',
          'merge',
          '--quiet',
          '--no-edit',
          '--no-ff',
          '-m',
          `Merge PR #${pr} into ${branch}`,
          ref,
        ],
        dest,
      );
      if (merged.ok) continue;
      const conflicts = await this.git(['diff', '--name-only', '--diff-filter=U'], dest);
      await this.git(['merge', '--abort'], dest);
      const files = conflicts.stdout.split('\n').filter(Boolean).join(', ');
      this.fail(
        `PR #${pr} does not merge cleanly into ${branch}${files ? ` (conflicts: ${files})` : `: ${merged.stderr}`}`,
      );
    }
  }

  /** GitHub keeps PR heads at refs/pull/N/head, GitLab merge requests at refs/merge-requests/N/head. */
  private async fetchPr(remote: string, pr: number, dest: string, opts = { shallow: true }): Promise<string> {
    const local = `refs/remotes/${remote}/pr/${pr}`;
    let last = '';
    for (const ref of [`refs/pull/${pr}/head`, `refs/merge-requests/${pr}/head`]) {
      const depth = opts.shallow ? ['--depth', '1'] : [];
      const run = await this.git(['fetch', '--quiet', ...depth, remote, `+${ref}:${local}`], dest);
      if (run.ok) return local;
      last = run.stderr;
    }
    this.fail(`PR #${pr} not found (tried refs/pull/${pr}/head and refs/merge-requests/${pr}/head): ${last}`);
  }

  /**
   * Fetching one commit by id is cheap but the server may refuse it (old servers, short ids); then fetch the
   * branch (or all branches and tags) with full history and find the commit in there.
   */
  private async fetchCommit(
    remote: string,
    commit: string,
    branch: string | undefined,
    pr: number | undefined,
    dest: string,
  ): Promise<void> {
    if (
      COMMIT_ID_RE.test(commit) &&
      commit.length === 40 &&
      (await this.git(['fetch', '--quiet', '--depth', '1', remote, commit], dest)).ok
    ) {
      return;
    }
    const refspecs = branch
      ? [`+refs/heads/${branch}:refs/remotes/${remote}/${branch}`]
      : [`+refs/heads/*:refs/remotes/${remote}/*`];
    if (pr !== undefined) refspecs.push(`+refs/pull/${pr}/head:refs/remotes/${remote}/pr/${pr}`);
    const shallow = existsSync(join(dest, '.git', 'shallow'));
    const run = await this.git(
      ['fetch', '--quiet', '--tags', ...(shallow ? ['--unshallow'] : []), remote, ...refspecs],
      dest,
    );
    if (!run.ok && pr !== undefined) {
      // a GitLab remote has no refs/pull: retry without it (the MR head was fetched already)
      await this.mustGit(
        ['fetch', '--quiet', '--tags', ...(shallow ? ['--unshallow'] : []), remote, ...refspecs.slice(0, -1)],
        dest,
      );
    } else if (!run.ok) {
      this.fail(`git fetch: ${run.stderr}`);
    }
    const found = await this.git(['rev-parse', '--verify', '--quiet', `${commit}^{commit}`], dest);
    if (!found.ok) this.fail(`commit ${commit} not found${branch ? ` on branch ${branch}` : ''}`);
  }
}

/** Clones every repo of the job into the workspace, in order; the first failure stops the job. */
export async function checkoutRepos(repos: readonly FreestyleRepo[], workspace: string, deps: GitDeps): Promise<void> {
  for (const repo of repos) await new RepoCheckout(repo, deps).run(workspace);
}
