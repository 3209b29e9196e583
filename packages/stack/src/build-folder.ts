import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

// A cached build folder that several processes may build at once (`npm test` while `npm start` builds
// the same testbed): each builds into a staging folder of its own and the first to finish moves it into
// place; a later finisher finds the folder there and discards its own, instead of one deleting the
// other's half-built files.

/** A fresh staging folder for this process's build of `dir`, after removing those of builds whose process is gone. */
export function stagingFolder(dir: string): string {
  removeAbandonedStaging(dir);
  const staging = `${dir}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  return staging;
}

/** Moves a finished staging folder to `dir`, unless another build already put a complete one there. */
export function publishStaging(staging: string, dir: string, isComplete: (dir: string) => boolean): void {
  if (existsSync(dir) && !isComplete(dir)) rmSync(dir, { recursive: true, force: true });
  try {
    renameSync(staging, dir);
  } catch (err) {
    if (!isComplete(dir)) throw err;
    rmSync(staging, { recursive: true, force: true });
  }
}

function removeAbandonedStaging(dir: string): void {
  const parent = dirname(dir);
  if (!existsSync(parent)) return;
  const prefix = `${basename(dir)}.partial`;
  for (const entry of readdirSync(parent)) {
    if (!entry.startsWith(prefix)) continue;
    const pid = Number(entry.slice(prefix.length + 1));
    // `<dir>.partial` without a pid is what builds left before staging folders were per process.
    if (entry === prefix || !isAlive(pid)) rmSync(join(parent, entry), { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists, it is just not ours.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
