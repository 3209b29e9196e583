import { createHash } from 'node:crypto';
import { chmod, lstat, mkdir, readdir, rm, rmdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/** Our own files inside the job workspace (script, prelude, outputs); hidden so `ls`/`rm *` in scripts skip it. */
const META_DIR = '.stagecoach';

export interface JobWorkspace {
  /** the job's working directory, exported as WORKSPACE */
  dir: string;
  /** exported as STAGECOACH_RESULTS; one file per declared output */
  resultsDir: string;
  scriptPath: string;
  preludePath: string;
}

/**
 * A path segment safe on disk and inside a shell word. Anything changed gets a short hash of the original
 * appended, so two different ids never share a folder after cleaning.
 */
export function safeSegment(id: string): string {
  const cleaned = id.replace(/[^A-Za-z0-9._-]/g, '_');
  if (cleaned === id && id !== '' && id !== '.' && id !== '..') return id;
  const base = cleaned === '' || /^\.+$/.test(cleaned) ? '_' : cleaned;
  return `${base}-${createHash('sha256').update(id).digest('hex').slice(0, 8)}`;
}

export function jobWorkspaceDir(workspaceRoot: string, runId: string, job: string): string {
  return join(resolve(workspaceRoot), safeSegment(runId), safeSegment(job));
}

/** Wipes and recreates the job's folder: every attempt starts clean, like a new Zadig pod. */
export async function prepareJobWorkspace(workspaceRoot: string, runId: string, job: string): Promise<JobWorkspace> {
  const dir = jobWorkspaceDir(workspaceRoot, runId, job);
  await removeTree(dir);
  const meta = join(dir, META_DIR);
  const resultsDir = join(meta, 'results');
  await mkdir(resultsDir, { recursive: true });
  return { dir, resultsDir, scriptPath: join(meta, 'script.sh'), preludePath: join(meta, 'prelude.sh') };
}

/** Removes the job's workspace (and the run's folder once empty). Idempotent. */
export async function cleanupFreestyleJob(input: { runId: string; job: string; workspaceRoot: string }): Promise<void> {
  const dir = jobWorkspaceDir(input.workspaceRoot, input.runId, input.job);
  await removeTree(dir);
  try {
    await rmdir(join(dir, '..'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
  }
}

/**
 * rm -rf that also copes with read-only directories (Go's module cache makes its folders 0555, so a plain
 * recursive rm fails with EACCES): on that failure make every directory writable and try again.
 */
async function removeTree(dir: string): Promise<void> {
  try {
    await rm(dir, { recursive: true, force: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EPERM') throw err;
    await makeWritable(dir);
    await rm(dir, { recursive: true, force: true });
  }
}

async function makeWritable(dir: string): Promise<void> {
  const st = await lstat(dir).catch(() => undefined);
  if (!st?.isDirectory()) return;
  await chmod(dir, 0o700).catch(() => undefined);
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (entry.isDirectory()) await makeWritable(join(dir, entry.name));
  }
}
