import { constants as osConstants } from 'node:os';
import { writeFile } from 'node:fs/promises';
import { killProcessGroup, ownProcessGroup, type ExitInfo } from '@stagecoach/launcher';
import { maskSecrets } from '@stagecoach/platform';
import { FreestyleSpecError, JobFailedError } from './errors.js';
import { checkoutRepos, gitEnv, urlCredentials } from './git.js';
import { MaskingWriter, TailSink } from './mask-stream.js';
import { buildPrelude, buildScript, checkScriptType, outputNames, readOutputs, timeoutMsOf } from './script.js';
import { JobStopper, runSupervised, type SupervisorContext } from './supervisor.js';
import type { FreestyleJobDeps, FreestyleJobInput, FreestyleJobResult } from './types.js';
import { prepareJobWorkspace } from './workspace.js';

const DEFAULT_KILL_GRACE_MS = 5000;
const DEFAULT_HEARTBEAT_MS = 2000;
const TAIL_LINES = 20;
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** What every job starts from: enough to find tools and write UTF-8, nothing else of the worker's environment. */
function baseEnv(fallbackHome: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? DEFAULT_PATH,
    HOME: process.env.HOME ?? fallbackHome,
    LANG: process.env.LANG ?? 'C.UTF-8',
  };
}

/** Keys bash cannot receive (spawn would throw on them) are dropped rather than failing the job. */
function cleanEnv(env: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (key === '' || key.includes('=') || key.includes('\0') || typeof value !== 'string' || value.includes('\0'))
      continue;
    out[key] = value;
  }
  return out;
}

/**
 * Linux refuses to start a process (E2BIG) with an environment string longer than this
 * (MAX_ARG_STRLEN: 32 pages), `KEY=value` and its terminating NUL included.
 */
const MAX_ENV_STRING_BYTES = 32 * 4096;

/** `KEY=value` and its NUL: what one variable takes of a new process's memory. */
const variableBytes = (key: string, value: string) => Buffer.byteLength(key) + Buffer.byteLength(value) + 2;

const environmentBytes = (env: Record<string, string>) =>
  Object.entries(env).reduce((sum, [key, value]) => sum + variableBytes(key, value), 0);

/** The first variable no process can be started with, named (never its value: it may be a credential). */
function oversizedVariable(env: Record<string, string>): string | undefined {
  for (const [key, value] of Object.entries(env)) {
    const bytes = variableBytes(key, value);
    if (bytes > MAX_ENV_STRING_BYTES)
      return `environment variable ${key} is ${bytes} bytes; a process can be started with at most ${MAX_ENV_STRING_BYTES} per variable`;
  }
  return undefined;
}

/**
 * Runs one attempt of a freestyle job: fresh workspace, repos cloned, script run by bash in its own process
 * group, output streamed masked to `deps.log`, declared outputs collected. Throws JobFailedError (non-zero exit),
 * JobTimeoutError, GitCheckoutError, FreestyleSpecError, or the abort signal's reason when cancelled.
 */
export async function runFreestyleJob(input: FreestyleJobInput, deps: FreestyleJobDeps): Promise<FreestyleJobResult> {
  deps.signal.throwIfAborted();
  const { spec } = input;
  const secrets = [
    ...Object.values(input.secrets),
    ...(spec.repos ?? []).flatMap((r) => (r.address ? urlCredentials(r.address) : [])),
  ].filter((s) => s.length > 0);
  const mask = (text: string): string => maskSecrets(text, secrets);
  const sink = new TailSink(deps.log, TAIL_LINES);
  const logLine = (line: string): void => sink.write(`${mask(line)}\n`);
  const killGraceMs = deps.killGraceMs ?? DEFAULT_KILL_GRACE_MS;

  checkScriptType(spec);
  const names = outputNames(spec);

  if (deps.previousPgid !== undefined && deps.previousPgid !== ownProcessGroup()) {
    // The previous attempt died with its worker; its script may still be running and writing to the workspace.
    await killProcessGroup(deps.previousPgid, killGraceMs);
  }

  // Every attempt would fail alike: refused as the job's input, not retried as a passing fault, and
  // before any repo is cloned for a script that cannot start.
  const oversized = oversizedVariable({ ...input.env, ...input.secrets });
  if (oversized) throw new FreestyleSpecError(oversized);

  const stopper = new JobStopper(deps.signal, input.job, deps.timeoutMs ?? timeoutMsOf(spec));
  const ctx: SupervisorContext = {
    stopper,
    heartbeat: deps.heartbeat,
    heartbeatIntervalMs: deps.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_MS,
    killGraceMs,
  };
  try {
    const ws = await prepareJobWorkspace(input.workspaceRoot, input.runId, input.job);
    stopper.throwIfStopped();
    const base = baseEnv(ws.dir);

    if (spec.repos && spec.repos.length > 0) {
      await checkoutRepos(spec.repos, ws.dir, { ctx, env: gitEnv(base), mask, logLine });
    }

    // 0600: the rendered script may hold credential values.
    await writeFile(ws.scriptPath, buildScript(spec.script ?? '', names, ws.resultsDir), { mode: 0o600 });
    if (names.length > 0) await writeFile(ws.preludePath, buildPrelude(names, ws.resultsDir), { mode: 0o600 });
    const env = cleanEnv({
      ...base,
      ...input.env,
      ...input.secrets,
      WORKSPACE: ws.dir,
      STAGECOACH_RESULTS: ws.resultsDir,
      ...(names.length > 0 ? { BASH_ENV: ws.preludePath } : {}),
    });

    const stdout = new MaskingWriter(sink, secrets);
    const stderr = new MaskingWriter(sink, secrets);
    let exit: ExitInfo;
    try {
      // Plain bash, no -e: Zadig runs the script as the user wrote it (its template starts with `set -e`
      // itself), so a script that tolerates failing commands keeps doing so.
      exit = await runSupervised(
        {
          command: 'bash',
          args: [ws.scriptPath],
          cwd: ws.dir,
          env,
          onStdout: (c) => stdout.write(c),
          onStderr: (c) => stderr.write(c),
          onTick: () => {
            stdout.flushPartial();
            stderr.flushPartial();
          },
        },
        ctx,
      );
    } catch (err) {
      // Each variable fits, but together they are more than the system's ARG_MAX allows.
      if ((err as NodeJS.ErrnoException).code === 'E2BIG') {
        throw new FreestyleSpecError(
          `the job's environment (${Object.keys(env).length} variables, ${environmentBytes(env)} bytes) is more than a process can be started with`,
        );
      }
      throw err;
    } finally {
      stdout.end();
      stderr.end();
    }

    const exitCode = exit.code ?? 128 + (exit.signal ? (osConstants.signals[exit.signal] ?? 0) : 0);
    if (exitCode !== 0) throw new JobFailedError(input.job, exitCode, sink.tail().map(mask));
    return { outputs: await readOutputs(names, ws.resultsDir), exitCode };
  } finally {
    stopper.dispose();
  }
}
