import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const LAUNCHER_SCRIPT = fileURLToPath(new URL('./launcher-process.mjs', import.meta.url));

export interface LaunchRequest {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  onStdout: (chunk: Buffer) => void;
  onStderr: (chunk: Buffer) => void;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A command the launcher started, as the leader of a process group of its own. */
export interface LaunchedCommand {
  /** its pid, which is also its process group id; rejects when it could not be started */
  started: Promise<number>;
  /** its exit status; rejects when the launcher died before it was known */
  exited: Promise<ExitInfo>;
  /** its output is drained (or abandoned, or the launcher is gone) */
  closed: Promise<void>;
  /** stop reading output that a process which left the group keeps open */
  abandonOutput(): void;
}

type LauncherEvent =
  | { id: number; event: 'spawned'; pid: number }
  | { id: number; event: 'error'; message: string; code?: string }
  | { id: number; event: 'stdout' | 'stderr'; data: Uint8Array }
  | { id: number; event: 'exit'; code: number | null; signal: NodeJS.Signals | null }
  | { id: number; event: 'close' };

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (err: unknown) => void;
}

/** Promise.withResolvers, which Node 20 lacks. A rejection nobody awaits is not an unhandled one: callers
 * await only what matters to them (a command that failed to start never exits). */
function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

interface Pending {
  /** the helper that runs it: a helper that dies fails only its own commands */
  helper: ChildProcess;
  request: LaunchRequest;
  started: Deferred<number>;
  exited: Deferred<ExitInfo>;
  closed: Deferred<void>;
}

/**
 * Starts processes (job scripts, helm) from a small helper process instead of the worker. fork() copies
 * the caller's page tables and holds its event loop while it does: from a worker of ~450 MB (the SDK,
 * the workflow bundle) that cost several ms per process, in which no workflow task, heartbeat or log
 * line moved. The helper loads nothing but node:child_process and relays each command's output and
 * exit status. One helper per worker process, started with start() or on first use, and again if it dies.
 */
export class ProcessLauncher {
  private child: ChildProcess | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  launch(request: LaunchRequest): LaunchedCommand {
    const child = this.helper();
    const id = ++this.nextId;
    const entry: Pending = { helper: child, request, started: deferred(), exited: deferred(), closed: deferred() };
    this.pending.set(id, entry);
    child.channel?.ref();
    const { onStdout: _out, onStderr: _err, ...spawn } = request;
    child.send({ op: 'spawn', id, ...spawn });
    return {
      started: entry.started.promise,
      exited: entry.exited.promise,
      closed: entry.closed.promise,
      abandonOutput: () => {
        if (this.pending.has(id)) child.send({ op: 'abandon', id });
      },
    };
  }

  /**
   * Starts the helper now rather than with the first command, which would otherwise wait for a node
   * process to boot. It does not keep this process alive.
   */
  start(): void {
    this.helper();
  }

  /** Ends the helper; commands it started keep running in their own process groups. */
  close(): void {
    this.child?.disconnect();
  }

  private helper(): ChildProcess {
    if (this.child?.connected) return this.child;
    const child = fork(LAUNCHER_SCRIPT, [], {
      // Not the worker's `--import tsx` or NODE_OPTIONS: the helper stays a bare, small node.
      execArgv: [],
      env: {},
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    child.on('message', (message: LauncherEvent) => this.deliver(message));
    child.once('exit', (code, signal) => this.lost(child, `process launcher exited (${signal ?? `code ${code}`})`));
    // Without its channel nothing more will be heard of its commands, even before it has exited.
    child.once('disconnect', () => this.lost(child, 'process launcher disconnected'));
    child.once('error', (err) => this.lost(child, `process launcher failed: ${err.message}`));
    // An idle helper does not keep the worker's process alive; launch() refs it while commands run.
    child.unref();
    child.channel?.unref();
    this.child = child;
    return child;
  }

  private deliver(message: LauncherEvent): void {
    const entry = this.pending.get(message.id);
    if (!entry) return;
    switch (message.event) {
      case 'spawned':
        entry.started.resolve(message.pid);
        break;
      case 'error': {
        const err = Object.assign(new Error(`could not start ${entry.request.command}: ${message.message}`), {
          code: message.code,
        });
        entry.started.reject(err);
        this.finish(message.id, entry);
        break;
      }
      case 'stdout':
      case 'stderr': {
        const chunk = Buffer.from(message.data.buffer, message.data.byteOffset, message.data.byteLength);
        (message.event === 'stdout' ? entry.request.onStdout : entry.request.onStderr)(chunk);
        break;
      }
      case 'exit':
        entry.exited.resolve({ code: message.code, signal: message.signal });
        break;
      case 'close':
        this.finish(message.id, entry);
    }
  }

  private finish(id: number, entry: Pending): void {
    entry.closed.resolve();
    this.pending.delete(id);
    if (![...this.pending.values()].some((other) => other.helper === entry.helper)) entry.helper.channel?.unref();
  }

  /** A helper is gone: what it was running can no longer be watched from here. */
  private lost(child: ChildProcess, reason: string): void {
    if (this.child === child) this.child = undefined;
    for (const [id, entry] of this.pending) {
      if (entry.helper !== child) continue;
      entry.started.reject(new Error(reason));
      entry.exited.reject(new Error(reason));
      this.finish(id, entry);
    }
  }
}

/** The worker process's launcher, shared by everything it starts. */
export const processLauncher = new ProcessLauncher();
