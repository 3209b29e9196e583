import type { KubeClients } from './client.js';
import type { WaitOptions } from './wait.js';

/** What a deploy or release job gets from the activity running it. */
export interface KubeJobContext {
  clients: KubeClients;
  /** aborts waits and stops between steps (run cancelled) */
  signal: AbortSignal;
  /** keeps the activity alive and records which steps are complete */
  heartbeat: (details: { steps: string[] }) => void;
  log: (line: string) => void;
  /** steps completed by an earlier attempt of this job (read back from its last heartbeat) */
  completed: ReadonlySet<string>;
  /** `<run id>/<job>`: marks objects this job created, so a repeated create recognises its own work */
  owner: string;
  now: () => Date;
}

/** Annotation naming the run and job that created an object. */
export const OWNER_ANNOTATION = 'stagecoach.dev/created-by';

/**
 * Runs named steps in order, skipping those an earlier attempt finished, and records each one in the
 * heartbeat as it completes: a worker that dies mid-job resumes on another worker at the first unfinished
 * step. Each step is also written idempotently, for the window between its effect and its heartbeat.
 */
export class Steps {
  private readonly done: string[];

  constructor(private readonly ctx: KubeJobContext) {
    this.done = [...ctx.completed];
  }

  async run(name: string, fn: () => Promise<void>): Promise<void> {
    if (this.done.includes(name)) {
      this.ctx.log(`${name}: done by an earlier attempt`);
      return;
    }
    if (this.ctx.signal.aborted)
      throw this.ctx.signal.reason instanceof Error ? this.ctx.signal.reason : new Error('cancelled');
    await fn();
    this.done.push(name);
    this.ctx.heartbeat({ steps: [...this.done] });
  }

  /** Wait options that keep heartbeating with the steps done so far. */
  waitOptions(timeoutMinutes: number, startedAt: number): WaitOptions {
    return {
      signal: this.ctx.signal,
      deadline: startedAt + timeoutMinutes * 60_000,
      heartbeat: () => this.ctx.heartbeat({ steps: [...this.done] }),
    };
  }
}

/** Cleanups at the end of a run get five minutes per object and keep the activity alive meanwhile. */
export function cleanupWaitOptions(ctx: KubeJobContext): WaitOptions {
  return { signal: ctx.signal, deadline: Date.now() + 5 * 60_000, heartbeat: () => ctx.heartbeat({ steps: [] }) };
}
