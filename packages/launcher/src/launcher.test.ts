import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ProcessLauncher, type LaunchRequest } from './launcher.js';
import { commandLine, isPidAlive, listProcesses, processStat, signalGroup } from './process-group.js';

const launcher = new ProcessLauncher();
afterAll(() => launcher.close());

/** Runs `script` with bash through `on`, collecting what it prints. */
function bash(script: string, on: ProcessLauncher = launcher, env: Record<string, string> = {}) {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const request: LaunchRequest = {
    command: 'bash',
    args: ['-c', script],
    cwd: tmpdir(),
    env: { PATH: process.env.PATH!, ...env },
    onStdout: (chunk) => out.push(chunk),
    onStderr: (chunk) => err.push(chunk),
  };
  const launched = on.launch(request);
  return { launched, stdout: () => Buffer.concat(out), stderr: () => Buffer.concat(err) };
}

/** Pids of this process's children that run the launcher's helper script. */
const helpersOfThisProcess = () =>
  listProcesses()
    .filter((p) => p.ppid === process.pid && commandLine(p.pid)?.some((arg) => arg.endsWith('launcher-process.mjs')))
    .map((p) => p.pid);

describe('ProcessLauncher', () => {
  it('starts the command as the leader of a process group of its own, not as a child of this process', async () => {
    const { launched, stdout } = bash('read -r _ < /dev/null; sleep 0.2; echo done');
    const pid = await launched.started;
    const stat = processStat(pid)!;
    expect(stat.pgrp).toBe(pid);
    expect(stat.ppid).not.toBe(process.pid);
    expect(await launched.exited).toEqual({ code: 0, signal: null });
    await launched.closed;
    expect(stdout().toString()).toBe('done\n');
  });

  it('start() has the helper running before the first command, and that helper starts it', async () => {
    const own = new ProcessLauncher();
    const before = new Set(helpersOfThisProcess());
    own.start();
    const started = helpersOfThisProcess().filter((pid) => !before.has(pid));
    expect(started).toHaveLength(1);
    // Alive long enough for its parent to be read from /proc.
    const { launched } = bash('sleep 0.2', own);
    expect(processStat(await launched.started)!.ppid).toBe(started[0]);
    await launched.closed;
    own.close();
  });

  it('relays stdout and stderr apart, byte for byte, and gives the command only the environment asked for', async () => {
    const { launched, stdout, stderr } = bash(
      'printf "\\x00\\xff\\xfe"; echo "to stderr" >&2; printf "%s|%s" "$GIVEN" "${HOME-unset}"',
      launcher,
      { GIVEN: 'yes' },
    );
    await launched.started;
    expect(await launched.exited).toEqual({ code: 0, signal: null });
    await launched.closed;
    expect([...stdout()]).toEqual([0x00, 0xff, 0xfe, ...Buffer.from('yes|unset')]);
    expect(stderr().toString()).toBe('to stderr\n');
  });

  it('relays large output whole and in order', async () => {
    const { launched, stdout } = bash('seq 1 200000');
    await launched.exited;
    await launched.closed;
    const lines = stdout().toString().trimEnd().split('\n');
    expect(lines).toHaveLength(200_000);
    expect(lines.at(-1)).toBe('200000');
  });

  it('reports the exit code, and the signal that ended the command', async () => {
    const failed = bash('exit 3').launched;
    expect(await failed.exited).toEqual({ code: 3, signal: null });
    const killed = bash('kill -TERM $$; sleep 5').launched;
    expect(await killed.exited).toEqual({ code: null, signal: 'SIGTERM' });
  });

  it('rejects the start of a command that does not exist, naming it', async () => {
    const launched = launcher.launch({
      command: 'stagecoach-no-such-command',
      args: [],
      cwd: tmpdir(),
      env: { PATH: process.env.PATH! },
      onStdout: () => undefined,
      onStderr: () => undefined,
    });
    await expect(launched.started).rejects.toMatchObject({
      message: expect.stringContaining('could not start stagecoach-no-such-command'),
      code: 'ENOENT',
    });
    await launched.closed;
    // The launcher still serves the next command.
    expect(await bash('exit 0').launched.exited).toEqual({ code: 0, signal: null });
  });

  it('stops waiting for output a process outside the group holds open, when told to', async () => {
    // setsid leaves the group (and takes the output pipe along); it prints the pid it keeps.
    const { launched, stdout } = bash('setsid sleep 30 & echo $!');
    await launched.started;
    expect(await launched.exited).toEqual({ code: 0, signal: null });
    const drained = await Promise.race([launched.closed.then(() => true), sleep(300).then(() => false)]);
    expect(drained).toBe(false);
    launched.abandonOutput();
    await launched.closed;
    process.kill(Number(stdout().toString().trim()), 'SIGKILL');
  });

  it('fails what it was running when its helper dies, leaves the commands running, and starts a new helper', async () => {
    const own = new ProcessLauncher();
    const { launched } = bash('sleep 30', own);
    const pid = await launched.started;
    process.kill(processStat(pid)!.ppid, 'SIGKILL');
    await expect(launched.exited).rejects.toThrow(/process launcher (disconnected|exited \(SIGKILL\))/);
    await launched.closed;
    // The job's group outlives the helper, as it outlives a crashed worker: the next attempt kills it.
    expect(isPidAlive(pid)).toBe(true);
    signalGroup(pid, 'SIGKILL');

    expect(await bash('exit 7', own).launched.exited).toEqual({ code: 7, signal: null });
    own.close();
  });

  it('does not keep an otherwise finished process alive', async () => {
    const script = fileURLToPath(new URL('./launcher.ts', import.meta.url));
    const program = [
      `const { ProcessLauncher } = await import(${JSON.stringify(script)});`,
      `const launched = new ProcessLauncher().launch({ command: 'true', args: [], cwd: '/', env: { PATH: process.env.PATH }, onStdout() {}, onStderr() {} });`,
      `console.log(JSON.stringify(await launched.exited));`,
    ].join('\n');
    const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        ['--import', 'tsx', '--input-type=module', '-e', program],
        { timeout: 30_000 },
        (_err, out) => resolve({ code: child.exitCode, stdout: out }),
      );
    });
    expect(stdout.trim()).toBe('{"code":0,"signal":null}');
    expect(code).toBe(0);
  });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
