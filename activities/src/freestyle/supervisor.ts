import { setTimeout as sleep } from 'node:timers/promises';
import { JobTimeoutError } from './errors.js';
import { killProcessGroup, processLauncher, type ExitInfo, type LaunchRequest } from '@stagecoach/launcher';
import type { FreestyleHeartbeat } from './types.js';

/** setTimeout fires immediately above this (it is a signed 32-bit ms count): clamp rather than never wait. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** After the group is dead, how long to wait for pipes held by a process that escaped it (setsid). */
const PIPE_DRAIN_MS = 1000;

export type StopReason = { kind: 'cancel'; reason: unknown } | { kind: 'timeout' };

/** One place that decides a job must stop: cancellation from Temporal, or the job's own timeout. */
export class JobStopper {
  reason: StopReason | undefined;
  private readonly listeners = new Set<() => void>();
  private readonly timer: NodeJS.Timeout;
  private readonly onAbort = (): void => this.stop({ kind: 'cancel', reason: this.signal.reason });

  constructor(
    private readonly signal: AbortSignal,
    private readonly job: string,
    readonly timeoutMs: number,
  ) {
    if (signal.aborted) this.reason = { kind: 'cancel', reason: signal.reason };
    signal.addEventListener('abort', this.onAbort, { once: true });
    this.timer = setTimeout(() => this.stop({ kind: 'timeout' }), Math.min(Math.max(timeoutMs, 0), MAX_TIMER_MS));
  }

  private stop(reason: StopReason): void {
    if (this.reason) return;
    this.reason = reason;
    for (const listener of this.listeners) listener();
  }

  /** Calls `fn` once the job must stop (right away if it already must). Returns an unsubscribe. */
  onStop(fn: () => void): () => void {
    if (this.reason) {
      fn();
      return () => undefined;
    }
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** What runFreestyleJob rejects with: the signal's own reason (so Temporal sees its cancellation), or a timeout. */
  error(): unknown {
    if (!this.reason) return undefined;
    return this.reason.kind === 'cancel' ? this.reason.reason : new JobTimeoutError(this.job, this.timeoutMs);
  }

  throwIfStopped(): void {
    if (this.reason) throw this.error();
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.signal.removeEventListener('abort', this.onAbort);
    this.listeners.clear();
  }
}

export interface SupervisorContext {
  stopper: JobStopper;
  heartbeat: (details?: unknown) => void;
  heartbeatIntervalMs: number;
  killGraceMs: number;
}

export interface SupervisedCommand extends LaunchRequest {
  /** called with every heartbeat (flush partial log lines) */
  onTick?: () => void;
}

/**
 * Runs a command as the leader of its own process group, so that everything it starts (background jobs,
 * subshells) can be killed together. Resolves with the exit status once the leader has exited, the rest of
 * its group is gone and its output is drained; rejects with the stop error if the job had to stop.
 */
export async function runSupervised(cmd: SupervisedCommand, ctx: SupervisorContext): Promise<ExitInfo> {
  ctx.stopper.throwIfStopped();
  const { onTick, ...request } = cmd;
  const launched = processLauncher.launch(request);
  const pgid = await launched.started;

  const beat = (): void => {
    try {
      ctx.heartbeat({ pgid } satisfies FreestyleHeartbeat);
    } catch {
      // heartbeat is best effort; losing one must not fail the job
    }
  };
  beat();
  const ticker = setInterval(() => {
    beat();
    onTick?.();
  }, ctx.heartbeatIntervalMs);

  let killing: Promise<void> | undefined;
  const kill = (): Promise<void> => (killing ??= killProcessGroup(pgid, ctx.killGraceMs));
  const unsubscribe = ctx.stopper.onStop(() => void kill());
  try {
    const exit = await launched.exited;
    // The leader is gone but background jobs it left behind would outlive the job (and hold our pipes open):
    // a job's processes end with the job, as they do when Zadig's pod ends.
    await kill();
    if (!(await Promise.race([launched.closed.then(() => true), sleep(PIPE_DRAIN_MS).then(() => false)]))) {
      launched.abandonOutput();
    }
    ctx.stopper.throwIfStopped();
    return exit;
  } finally {
    clearInterval(ticker);
    unsubscribe();
  }
}
