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

/** A process as /proc/<pid>/stat describes it. */
export interface ProcessStat {
  pid: number;
  state: string;
  ppid: number;
  pgrp: number;
}

/** /proc/<pid>/stat, or undefined when it is gone; the command name may contain spaces and parentheses, so parse after the last ')'. */
export function processStat(pid: number | 'self'): ProcessStat | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
    return {
      pid: Number(raw.slice(0, raw.indexOf(' '))),
      state: fields[0] ?? '',
      ppid: Number(fields[1]),
      pgrp: Number(fields[2]),
    };
  } catch {
    return undefined;
  }
}

/** The arguments a process was started with (its executable first), or undefined when it is gone. */
export function commandLine(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1);
  } catch {
    return undefined;
  }
}

/** Every process running now (those that end while /proc is read are left out); throws without /proc. */
export function listProcesses(): ProcessStat[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((entry) => processStat(Number(entry)) ?? []);
}

const dead = (state: string): boolean => state === 'Z' || state === 'X';

/**
 * True while some process of the group is still running. Zombies count as gone: orphans are reaped by PID 1,
 * which in a container may never do it, and a zombie holds no resources we care about.
 */
export function isGroupAlive(pgid: number): boolean {
  if (!signalGroup(pgid, 0)) return false;
  let processes: ProcessStat[];
  try {
    processes = listProcesses();
  } catch {
    return true; // no /proc (not Linux): kill(0) is all we know
  }
  return processes.some((p) => p.pgrp === pgid && !dead(p.state));
}

/** True while `pid` runs (zombies count as gone, see isGroupAlive). */
export function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const stat = processStat(pid);
  return stat === undefined ? true : !dead(stat.state);
}

/** Our own process group, so a recycled pgid from a previous attempt never makes the worker kill itself. */
export function ownProcessGroup(): number | undefined {
  return processStat('self')?.pgrp;
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
