import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const POLL_MS = 50;
/** How long to wait for SIGKILL to take effect before giving up (uninterruptible sleep, NFS...). */
const AFTER_KILL_WAIT_MS = 2000;

/** Sends `signal` to every process of group `pgid`. False when the group is gone or not ours to signal. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ESRCH' || code === 'EPERM') return false;
    throw err;
  }
}

interface ProcStat {
  state: string;
  pgrp: number;
}

/** /proc/<pid>/stat; the command name may contain spaces and parentheses, so parse after the last ')'. */
function readStat(pid: number | string): ProcStat | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', pgrp: Number(fields[2]) };
  } catch {
    return undefined;
  }
}

const dead = (state: string): boolean => state === 'Z' || state === 'X';

/**
 * True while some process of the group is still running. Zombies count as gone: orphans are reaped by PID 1,
 * which in a container may never do it, and a zombie holds no resources we care about.
 */
export function isGroupAlive(pgid: number): boolean {
  if (!signalGroup(pgid, 0)) return false;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return true; // no /proc (not Linux): kill(0) is all we know
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(entry);
    if (stat && stat.pgrp === pgid && !dead(stat.state)) return true;
  }
  return false;
}

/** True while `pid` runs (zombies count as gone, see isGroupAlive). */
export function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const stat = readStat(pid);
  return stat === undefined ? true : !dead(stat.state);
}

/** Our own process group, so a recycled pgid from a previous attempt never makes the worker kill itself. */
export function ownProcessGroup(): number | undefined {
  return readStat('self')?.pgrp;
}

async function waitGone(pgid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (!isGroupAlive(pgid)) return true;
    if (Date.now() >= deadline) return false;
    await sleep(POLL_MS);
  }
}

/** SIGTERM the whole group, then SIGKILL whatever is left after `graceMs`. Resolves once the group is gone. */
export async function killProcessGroup(pgid: number, graceMs: number): Promise<void> {
  if (!Number.isInteger(pgid) || pgid <= 1) return;
  if (!signalGroup(pgid, 'SIGTERM')) return;
  if (await waitGone(pgid, graceMs)) return;
  signalGroup(pgid, 'SIGKILL');
  await waitGone(pgid, AFTER_KILL_WAIT_MS);
}
