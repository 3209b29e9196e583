import type { RunEvent } from '@stagecoach/contracts';
import { subjectToken } from '@stagecoach/contracts';
import { isTerminal } from '@stagecoach/spec';
import type { JetStreamClient, JetStreamManager } from 'nats';
import { DEFAULT_STREAM_NAMES, runEventSubject, runLogsFilter, type StreamNames } from './jetstream.js';
import { LOG_HEADER } from './logs.js';
import { orderedMessages } from './ordered.js';

/** One item of a watched run: a transition, or one line a job wrote (without its line break). */
export type RunWatchItem = { type: 'event'; event: RunEvent } | { type: 'log'; job: string; text: string };

export interface WatchRunTarget {
  project: string;
  workflow: string;
  runNumber: number;
}

export interface WatchRunOptions {
  names?: StreamNames;
  /** Stops the watch (normally, without throwing). */
  signal?: AbortSignal;
  /**
   * The watch ends at the run's final event of this attempt or a later one (default 0). Pass the
   * attempt that is current when watching starts, so a retried run's earlier end does not end it.
   */
  minRetry?: number;
  /** The run's job names: log subjects carry them as subject tokens, this maps them back. */
  jobs?: readonly string[];
  /** Items buffered for a slow reader before the readers wait (default 1000). */
  highWaterMark?: number;
}

const decoder = new TextDecoder();

/**
 * Everything a run has published, from its first event, then live: its events (run, stage, job
 * transitions, in order) and its jobs' log output split into lines (in order per job), merged as
 * they arrive. Two ordered consumers read them: one on the run's event subject, one on all its
 * jobs' log subjects.
 *
 * The watch ends after the run's final event (a terminal run status of attempt >= `minRetry` with
 * nothing stored after it), which comes last: a job's log is complete before the job's final
 * event is published, so once the run's final event is read, the log reader is drained to the
 * last log message stored for the run, its unterminated lines are flushed, and then the final
 * event is yielded.
 */
export async function* watchRun(
  js: JetStreamClient,
  run: WatchRunTarget,
  opts: WatchRunOptions = {},
): AsyncGenerator<RunWatchItem, void, undefined> {
  if (opts.signal?.aborted) return;
  const names = opts.names ?? DEFAULT_STREAM_NAMES;
  const minRetry = opts.minRetry ?? 0;
  const jobOfToken = new Map((opts.jobs ?? []).map((job) => [subjectToken(job), job]));
  const jsm = await js.jetstreamManager();
  const logsFilter = runLogsFilter(names, run.project, run.workflow, run.runNumber);

  const stop = new AbortController();
  const stopLogs = new AbortController();
  const onAbort = () => stop.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  stop.signal.addEventListener('abort', () => stopLogs.abort(), { once: true });
  const out = new Channel<RunWatchItem>(opts.highWaterMark ?? 1000);

  /** Stream sequence of the last log message read, and the one to stop at once the run is final. */
  let logsRead = 0;
  let logsUntil: number | undefined;
  const partial = new Map<string, string>();

  const readLogs = async () => {
    for await (const msg of orderedMessages(js, names.logsStream, logsFilter, stopLogs.signal)) {
      if (msg.headers?.get(LOG_HEADER.end) !== '1' && msg.data.length > 0) {
        const token = msg.subject.slice(msg.subject.lastIndexOf('.') + 1);
        const job = jobOfToken.get(token) ?? token;
        const lines = ((partial.get(job) ?? '') + decoder.decode(msg.data)).split('\n');
        partial.set(job, lines.pop()!);
        for (const line of lines) await out.push({ type: 'log', job, text: line.replace(/\r$/, '') });
      }
      logsRead = msg.seq;
      if (logsUntil !== undefined && logsRead >= logsUntil) return;
    }
  };

  const readEvents = async (): Promise<RunEvent | undefined> => {
    const subject = runEventSubject(names, run.project, run.workflow, run.runNumber);
    for await (const msg of orderedMessages(js, names.eventsStream, subject, stop.signal)) {
      const event = parseEvent(msg.data);
      if (!event) continue; // not ours to interpret (the consumers terminate malformed events)
      if (isFinal(event, minRetry) && msg.info.pending === 0) return event;
      await out.push({ type: 'event', event });
    }
    return undefined;
  };

  const logs = readLogs();
  const work = (async () => {
    const final = await readEvents();
    if (!final) return; // stopped
    logsUntil = await lastSeqOf(jsm, names.logsStream, logsFilter);
    if (logsRead >= logsUntil) stopLogs.abort();
    await logs;
    for (const [job, text] of partial) if (text !== '') await out.push({ type: 'log', job, text });
    await out.push({ type: 'event', event: final });
  })();
  // Either reader failing fails the watch; the other one is stopped in `finally`.
  Promise.all([logs, work]).then(
    () => out.close(),
    (err: unknown) => out.fail(err),
  );

  try {
    yield* out;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    stop.abort();
    out.close();
    await Promise.allSettled([logs, work]);
  }
}

/**
 * Resolves true once the run's final event of attempt `minRetry` or later is stored (at once for a run
 * that is over), false when `signal` stops the wait first.
 */
export async function runEnded(
  js: JetStreamClient,
  run: WatchRunTarget,
  opts: Pick<WatchRunOptions, 'names' | 'signal' | 'minRetry'> = {},
): Promise<boolean> {
  const names = opts.names ?? DEFAULT_STREAM_NAMES;
  const subject = runEventSubject(names, run.project, run.workflow, run.runNumber);
  for await (const msg of orderedMessages(js, names.eventsStream, subject, opts.signal)) {
    const event = parseEvent(msg.data);
    if (event && isFinal(event, opts.minRetry ?? 0) && msg.info.pending === 0) return true;
  }
  return false;
}

/** A run's final status of attempt `minRetry` or later: final for the run when nothing is stored after it. */
function isFinal(event: RunEvent, minRetry: number): boolean {
  return event.kind === 'run' && isTerminal(event.status) && event.retryNum >= minRetry;
}

function parseEvent(data: Uint8Array): RunEvent | undefined {
  try {
    const event = JSON.parse(decoder.decode(data)) as RunEvent;
    return typeof event.kind === 'string' && typeof event.retryNum === 'number' ? event : undefined;
  } catch {
    return undefined;
  }
}

/** The stream sequence of the newest message on any subject matching `filter` (0: none). */
async function lastSeqOf(jsm: JetStreamManager, stream: string, filter: string): Promise<number> {
  const info = await jsm.streams.info(stream, { subjects_filter: filter });
  let last = 0;
  for (const subject of Object.keys(info.state.subjects ?? {})) {
    last = Math.max(last, (await jsm.streams.getMessage(stream, { last_by_subj: subject })).seq);
  }
  return last;
}

/**
 * A queue between producers and one async reader. `push` waits while `highWaterMark` items are
 * buffered, so a slow reader slows the producers down instead of growing the buffer.
 */
class Channel<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private done = false;
  private error: { err: unknown } | undefined;
  private wakeReader: (() => void) | undefined;
  private wakeWriters: (() => void)[] = [];

  constructor(private readonly highWaterMark: number) {}

  async push(item: T): Promise<void> {
    while (this.items.length >= this.highWaterMark && !this.done) {
      await new Promise<void>((resolve) => this.wakeWriters.push(resolve));
    }
    if (this.done) return;
    this.items.push(item);
    this.wake();
  }

  close(): void {
    this.done = true;
    this.wake();
  }

  fail(err: unknown): void {
    if (this.done) return;
    this.error = { err };
    this.close();
  }

  private wake(): void {
    this.wakeReader?.();
    this.wakeReader = undefined;
    for (const resolve of this.wakeWriters.splice(0)) resolve();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for (;;) {
      const item = this.items.shift();
      if (item !== undefined) {
        for (const resolve of this.wakeWriters.splice(0)) resolve();
        yield item;
        continue;
      }
      if (this.error) throw this.error.err;
      if (this.done) return;
      await new Promise<void>((resolve) => (this.wakeReader = resolve));
    }
  }
}
