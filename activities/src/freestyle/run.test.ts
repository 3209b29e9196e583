import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FreestyleSpec } from '@stagecoach/spec';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  cleanupFreestyleJob,
  FreestyleSpecError,
  JobFailedError,
  JobTimeoutError,
  jobWorkspaceDir,
  runFreestyleJob,
  type FreestyleJobDeps,
  type FreestyleJobInput,
} from './index.js';
import { isGroupAlive, isPidAlive } from '@stagecoach/launcher';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'sc-freestyle-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function input(
  spec: Partial<FreestyleSpec> & { script: string },
  extra: Partial<FreestyleJobInput> = {},
): FreestyleJobInput {
  return { runId: 'run-1', job: 'build', spec, env: {}, secrets: {}, workspaceRoot: root, ...extra };
}

function deps(extra: Partial<FreestyleJobDeps> = {}) {
  const chunks: string[] = [];
  const controller = new AbortController();
  const heartbeat = vi.fn();
  const d: FreestyleJobDeps = {
    log: { write: (t) => chunks.push(t) },
    signal: controller.signal,
    heartbeat,
    killGraceMs: 1000,
    ...extra,
  };
  return { deps: d, log: () => chunks.join(''), controller, heartbeat };
}

async function waitFor<T>(fn: () => T | undefined, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('waitFor timed out');
    await sleep(20);
  }
}

const pidFrom = (log: string, name: string): number | undefined => {
  const m = new RegExp(`${name}=(\\d+)`).exec(log);
  return m?.[1] ? Number(m[1]) : undefined;
};

describe('runFreestyleJob: script', () => {
  it('refuses a variable no process can be started with, naming it and not its value', async () => {
    const t = deps();
    const value = 's'.repeat(200_000);
    const attempt = runFreestyleJob(input({ script: 'echo never' }, { secrets: { TOKEN: value } }), t.deps);
    await expect(attempt).rejects.toThrow(FreestyleSpecError);
    await expect(attempt).rejects.toThrow(
      'environment variable TOKEN is 200007 bytes; a process can be started with at most 131072 per variable',
    );
    expect(t.log()).not.toContain('never');
    // Just under the limit still starts.
    const fits = await runFreestyleJob(
      input({ script: 'echo "${#BIG}"' }, { env: { BIG: 'b'.repeat(131072 - 'BIG'.length - 2) } }),
      deps().deps,
    );
    expect(fits.exitCode).toBe(0);
  });

  it('refuses an environment too large as a whole, though each variable fits', async () => {
    // 7.2 MB: over Linux's cap of 6 MB for arguments and environment together, whatever the stack limit.
    const env = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`V${i}`, 'v'.repeat(120_000)]));
    await expect(runFreestyleJob(input({ script: 'true' }, { env }), deps().deps)).rejects.toThrow(
      /^the job's environment \(\d+ variables, \d+ bytes\) is more than a process can be started with$/,
    );
  });

  it('runs bash in the workspace with env, secrets, WORKSPACE and STAGECOACH_RESULTS', async () => {
    const t = deps();
    const res = await runFreestyleJob(
      input(
        { script: 'echo "pwd=$(pwd)"; echo "ws=$WORKSPACE"; echo "p=$PARAM"; test -d "$STAGECOACH_RESULTS"; echo ok' },
        { env: { PARAM: 'v1' }, secrets: { TOKEN: 'tok' } },
      ),
      t.deps,
    );
    const ws = jobWorkspaceDir(root, 'run-1', 'build');
    expect(res).toEqual({ outputs: {}, exitCode: 0 });
    expect(t.log()).toContain(`pwd=${ws}\n`);
    expect(t.log()).toContain(`ws=${ws}\n`);
    expect(t.log()).toContain('p=v1\n');
    expect(t.log()).toContain('ok\n');
  });

  it('captures declared outputs (Zadig-style append), trimming one newline, missing → empty', async () => {
    const t = deps();
    const res = await runFreestyleJob(
      input({
        script: 'IMAGE=registry/app:1.2\nMULTI=$(printf "a\\nb")\nDASH=-n\nexport EXPORTED=yes',
        advanced_setting: {
          outputs: [{ name: 'IMAGE' }, { name: 'MULTI' }, { name: 'DASH' }, { name: 'EXPORTED' }, { name: 'UNSET' }],
        },
      }),
      t.deps,
    );
    expect(res.outputs).toEqual({ IMAGE: 'registry/app:1.2', MULTI: 'a\nb', DASH: '-n', EXPORTED: 'yes', UNSET: '' });
  });

  it('captures outputs when the script exits 0 early, and under set -eu', async () => {
    const t = deps();
    const res = await runFreestyleJob(
      input({
        script: '#!/bin/bash\nset -eu\nTAG=v9\nif true; then exit 0; fi\nTAG=never',
        advanced_setting: { outputs: [{ name: 'TAG' }, { name: 'OTHER' }] },
      }),
      t.deps,
    );
    expect(res.outputs).toEqual({ TAG: 'v9', OTHER: '' });
  });

  it('does not leak BASH_ENV into nested bash scripts (they would overwrite outputs)', async () => {
    const t = deps();
    const res = await runFreestyleJob(
      input({
        script: 'X=outer\nbash -c \'echo "nested BASH_ENV=[${BASH_ENV-}]"; X=inner; exit 0\'',
        advanced_setting: { outputs: [{ name: 'X' }] },
      }),
      t.deps,
    );
    expect(res.outputs).toEqual({ X: 'outer' });
    expect(t.log()).toContain('nested BASH_ENV=[]');
  });

  it('keeps line numbers, and declaring outputs does not turn a failing last command into a pass', async () => {
    const t = deps();
    const err = await runFreestyleJob(
      input({ script: '#!/bin/bash\necho one\nno_such_cmd_xyz', advanced_setting: { outputs: [{ name: 'A' }] } }),
      t.deps,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JobFailedError);
    expect((err as JobFailedError).exitCode).toBe(127);
    expect(t.log()).toMatch(/line 3: no_such_cmd_xyz: command not found/);
  });

  it('fails with the exit code and the last log lines, even through the EXIT trap', async () => {
    const t = deps();
    const err = await runFreestyleJob(
      input({
        script: 'for i in $(seq 1 30); do echo "line $i"; done\necho boom >&2\nexit 7',
        advanced_setting: { outputs: [{ name: 'A' }] },
      }),
      t.deps,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JobFailedError);
    const failed = err as JobFailedError;
    expect(failed.exitCode).toBe(7);
    expect(failed.kind).toBe('failed');
    expect(failed.message).toContain('exited with code 7');
    expect(failed.message).toContain('boom');
    expect(failed.message).toContain('line 30');
    expect(failed.message).not.toContain('line 5\n');
    expect(failed.logTail.length).toBeLessThanOrEqual(20);
  });

  it('runs without -e: a failing command in the middle does not stop the script (as in Zadig)', async () => {
    const t = deps();
    await runFreestyleJob(input({ script: 'false\necho still-here' }), t.deps);
    expect(t.log()).toContain('still-here');
  });

  it('a set -e failure fails the job with the command status', async () => {
    const t = deps();
    const err = await runFreestyleJob(input({ script: 'set -e\n(exit 3)\necho unreachable' }), t.deps).catch(
      (e: unknown) => e,
    );
    expect((err as JobFailedError).exitCode).toBe(3);
    expect(t.log()).not.toContain('unreachable');
  });

  it('masks secrets in the log even when printed in pieces, and in the error message', async () => {
    const t = deps();
    const secret = 'Sup3rS3cretValue';
    const err = await runFreestyleJob(
      input(
        {
          // printf pieces with sleeps so the secret really arrives in separate chunks
          script:
            'printf "tok=Sup3r"; sleep 0.2; printf "S3cret"; sleep 0.2; printf "Value\\n"\necho "env=$MY_SECRET" >&2\necho "$MY_SECRET"\nexit 1',
        },
        { secrets: { MY_SECRET: secret } },
      ),
      t.deps,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JobFailedError);
    expect(t.log()).toContain('tok=***\n');
    expect(t.log()).toContain('env=***\n');
    expect(t.log()).not.toContain('Sup3r');
    expect((err as Error).message).not.toContain(secret);
    expect((err as Error).message).toContain('***');
  });

  it('heartbeats { pgid } at spawn and periodically', async () => {
    const t = deps({ heartbeatIntervalMs: 100 });
    await runFreestyleJob(input({ script: 'sleep 0.5' }), t.deps);
    expect(t.heartbeat.mock.calls.length).toBeGreaterThanOrEqual(3);
    const first = t.heartbeat.mock.calls[0]?.[0] as { pgid: number };
    expect(first.pgid).toBeGreaterThan(1);
  });

  it('kills background processes left behind by a successful script', async () => {
    const t = deps();
    await runFreestyleJob(input({ script: 'sleep 100 &\necho "BG=$!"' }), t.deps);
    const bg = pidFrom(t.log(), 'BG');
    expect(bg).toBeDefined();
    expect(isPidAlive(bg!)).toBe(false);
  });
});

describe('runFreestyleJob: timeout and cancel', () => {
  const tree = 'sleep 100 &\necho "BG=$!"\n( sleep 100; echo never ) &\necho "SUB=$!"\nsleep 100';

  it('timeout kills the whole process group, grandchildren included', async () => {
    const t = deps({ timeoutMs: 700 });
    const started = Date.now();
    const err = await runFreestyleJob(input({ script: tree }), t.deps).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JobTimeoutError);
    expect((err as JobTimeoutError).kind).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(5000);
    const bg = pidFrom(t.log(), 'BG');
    const sub = pidFrom(t.log(), 'SUB');
    const pgid = (t.heartbeat.mock.calls[0]?.[0] as { pgid: number }).pgid;
    expect(isPidAlive(bg!)).toBe(false);
    expect(isPidAlive(sub!)).toBe(false);
    expect(isGroupAlive(pgid)).toBe(false);
  });

  it('uses advanced_setting.timeout minutes when no override is given', async () => {
    const t = deps();
    // 0.001 min = 60 ms
    const err = await runFreestyleJob(
      input({ script: 'sleep 100', advanced_setting: { timeout: 0.001 } }),
      t.deps,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JobTimeoutError);
  });

  it('escalates to SIGKILL when the script ignores SIGTERM', async () => {
    const t = deps({ timeoutMs: 300, killGraceMs: 300 });
    const err = await runFreestyleJob(
      input({ script: 'trap \'\' TERM\nsleep 100 &\necho "BG=$!"\nwhile true; do sleep 0.05; done' }),
      t.deps,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JobTimeoutError);
    expect(isPidAlive(pidFrom(t.log(), 'BG')!)).toBe(false);
  });

  it('abort kills the group and rejects with the signal reason', async () => {
    const t = deps();
    const reason = new Error('cancelled by user');
    const run = runFreestyleJob(input({ script: tree }), t.deps);
    const bg = await waitFor(() => pidFrom(t.log(), 'BG'));
    const sub = await waitFor(() => pidFrom(t.log(), 'SUB'));
    t.controller.abort(reason);
    await expect(run).rejects.toBe(reason);
    expect(isPidAlive(bg)).toBe(false);
    expect(isPidAlive(sub)).toBe(false);
  });

  it('an already-aborted signal rejects before anything runs', async () => {
    const t = deps();
    const reason = new Error('gone');
    t.controller.abort(reason);
    await expect(runFreestyleJob(input({ script: 'echo hi' }), t.deps)).rejects.toBe(reason);
    expect(t.heartbeat).not.toHaveBeenCalled();
  });

  it('kills the process group of a previous attempt first', async () => {
    // A stand-in for an orphaned attempt: its own process group with a child.
    const orphan = spawn('bash', ['-c', 'sleep 100 & echo $!; wait'], {
      detached: true,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const childPid = await new Promise<number>((resolve) =>
      orphan.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))),
    );
    const pgid = orphan.pid!;
    expect(isGroupAlive(pgid)).toBe(true);
    const t = deps({ previousPgid: pgid });
    await runFreestyleJob(input({ script: 'echo fresh' }), t.deps);
    expect(isGroupAlive(pgid)).toBe(false);
    expect(isPidAlive(childPid)).toBe(false);
  });

  it('ignores a previousPgid that no longer exists', async () => {
    const t = deps({ previousPgid: 999_999_999 });
    await expect(runFreestyleJob(input({ script: 'true' }), t.deps)).resolves.toEqual({ outputs: {}, exitCode: 0 });
  });
});

describe('workspace', () => {
  it('is fresh for every attempt and cleanup removes it (idempotently)', async () => {
    const t = deps();
    await runFreestyleJob(input({ script: 'echo left > leftover.txt' }), t.deps);
    const ws = jobWorkspaceDir(root, 'run-1', 'build');
    expect(existsSync(join(ws, 'leftover.txt'))).toBe(true);
    await writeFile(join(ws, 'other.txt'), 'x');

    const t2 = deps();
    await runFreestyleJob(input({ script: 'ls -A' }), t2.deps);
    expect(t2.log()).not.toContain('leftover.txt');
    expect(t2.log()).not.toContain('other.txt');

    await cleanupFreestyleJob({ runId: 'run-1', job: 'build', workspaceRoot: root });
    expect(existsSync(ws)).toBe(false);
    expect(await readdir(root)).toEqual([]);
    await cleanupFreestyleJob({ runId: 'run-1', job: 'build', workspaceRoot: root });
  });

  it('cleanup copes with read-only directories', async () => {
    const t = deps();
    await runFreestyleJob(input({ script: 'mkdir -p ro/sub && touch ro/sub/f && chmod 555 ro/sub ro' }), t.deps);
    await cleanupFreestyleJob({ runId: 'run-1', job: 'build', workspaceRoot: root });
    expect(existsSync(jobWorkspaceDir(root, 'run-1', 'build'))).toBe(false);
  });

  it('keeps odd run ids inside the root', () => {
    const dir = jobWorkspaceDir(root, '../../etc', '..');
    expect(dir.startsWith(root + '/')).toBe(true);
    expect(
      dir
        .split('/')
        .slice(-2)
        .every((s) => s !== '..' && s !== '.'),
    ).toBe(true);
  });
});
