import type { Status } from '@stagecoach/spec';
import { headers, type JetStreamClient, type JetStreamManager, type JsMsg } from 'nats';
import { DEFAULT_STREAM_NAMES, isNotFound, jobLogSubject, type StreamNames } from './jetstream.js';
import { orderedMessages } from './ordered.js';

export interface LogTarget {
  project: string;
  workflow: string;
  runNumber: number;
  job: string;
  /** The run's retryNum: 0 for the first execution, +1 per retry. */
  retryNum: number;
}

export interface LogWriterOptions {
  names?: StreamNames;
  /** Flush buffered output at least this often (default 100 ms). */
  flushIntervalMs?: number;
  /** Flush as soon as this many bytes are buffered; also the maximum chunk size (default 16 KiB). */
  maxChunkBytes?: number;
}

export interface LogWriter {
  readonly subject: string;
  /** Buffers output; never blocks the caller. Ignored after close(). */
  write(text: string): void;
  /**
   * Flushes, publishes the end marker and waits for every PubAck. Rejects with the first publish
   * error (the remaining chunks were still attempted) so the caller can log that output was lost;
   * it should not change the job's outcome.
   */
  close(status: Status): Promise<void>;
}

/** Header names on log messages. */
export const LOG_HEADER = {
  /** Per-writer message number from 0; the end marker carries the next one. */
  seq: 'Seq',
  /** The run's retryNum of the attempt that wrote the chunk. */
  retry: 'Retry',
  /** '1' on the end marker (empty body). */
  end: 'End',
  /** Job status on the end marker. */
  status: 'Status',
} as const;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Splits UTF-8 bytes into pieces of at most `max` bytes without cutting a character in two. */
function splitUtf8(bytes: Uint8Array, max: number): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  let start = 0;
  while (start < bytes.length) {
    let end = Math.min(start + max, bytes.length);
    // Step back over continuation bytes (10xxxxxx) so the piece ends on a character boundary.
    while (end < bytes.length && end > start + 1 && (bytes[end]! & 0xc0) === 0x80) end--;
    pieces.push(bytes.subarray(start, end));
    start = end;
  }
  return pieces;
}

/**
 * A job's log output as JetStream messages on `jobLogSubject(names, project, workflow, runNumber, job)`.
 * Output is batched (every flushIntervalMs or maxChunkBytes) because one message per line would
 * cost a PubAck round trip per line; publishes are chained so chunks are stored in write order.
 */
export function createLogWriter(js: JetStreamClient, target: LogTarget, opts: LogWriterOptions = {}): LogWriter {
  const names = opts.names ?? DEFAULT_STREAM_NAMES;
  const subject = jobLogSubject(names, target.project, target.workflow, target.runNumber, target.job);
  const flushIntervalMs = opts.flushIntervalMs ?? 100;
  const maxChunkBytes = opts.maxChunkBytes ?? 16 * 1024;

  let buffer: string[] = [];
  let bufferedBytes = 0;
  let timer: NodeJS.Timeout | undefined;
  let seq = 0;
  let closed = false;
  let firstError: unknown;
  let tail: Promise<void> = Promise.resolve();

  function enqueue(data: Uint8Array, extra: Record<string, string> = {}): void {
    const h = headers();
    h.set(LOG_HEADER.seq, String(seq++));
    h.set(LOG_HEADER.retry, String(target.retryNum));
    for (const [k, v] of Object.entries(extra)) h.set(k, v);
    tail = tail.then(async () => {
      try {
        await js.publish(subject, data, { headers: h, expect: { streamName: names.logsStream } });
      } catch (err) {
        firstError ??= err;
      }
    });
  }

  function flush(): void {
    if (timer) {
      clearTimeout(timer);
      timer = undefined;
    }
    if (bufferedBytes === 0) return;
    const bytes = encoder.encode(buffer.join(''));
    buffer = [];
    bufferedBytes = 0;
    for (const piece of splitUtf8(bytes, maxChunkBytes)) enqueue(piece);
  }

  return {
    subject,
    write(text: string) {
      if (closed || text.length === 0) return;
      buffer.push(text);
      bufferedBytes += Buffer.byteLength(text);
      if (bufferedBytes >= maxChunkBytes) flush();
      else timer ??= setTimeout(flush, flushIntervalMs);
    },
    async close(status: Status) {
      if (closed) return tail;
      closed = true;
      flush();
      enqueue(new Uint8Array(0), { [LOG_HEADER.end]: '1', [LOG_HEADER.status]: status });
      await tail;
      if (firstError !== undefined) throw firstError;
    },
  };
}

export interface ReadJobLogOptions {
  /** Keep waiting for new chunks (live tail) instead of stopping at what is stored now. */
  follow?: boolean;
  /** Stops the iteration (normally, without throwing). */
  signal?: AbortSignal;
  /**
   * Following ends only at an end marker whose Retry is at least this (default 0). Pass the run's
   * current retryNum when a retry was just requested, so the previous attempt's end marker does not
   * end the tail before the new attempt has written anything.
   */
  minRetry?: number;
  /**
   * Following also ends once the tail has read up to this stream sequence, when it resolves: the last
   * the job stored before its run ended (0: nothing), for a job its run ended without running.
   */
  until?: Promise<number>;
  names?: StreamNames;
}

/**
 * The log text of one job, from the first stored chunk: an ordered consumer (ephemeral, flow
 * controlled, recreated by the client on gaps) filtered to the job's subject.
 *
 * Several attempts (run retries, each with its own Retry header, or Temporal re-running the
 * activity) append to the same subject, so all of them come back in the order they were stored.
 *
 * Without `follow` the iteration stops at the stream sequence that was last for the subject when
 * it started. With `follow` it stops at the end marker of the LAST attempt, decided like this: an
 * end marker ends the tail when, at the moment it is read, no later message for the subject is
 * stored (the consumer reports 0 pending) and its Retry >= `minRetry`. An earlier attempt's end
 * marker is always followed by that attempt's successor's chunks, so it never ends the tail.
 * A job whose error policy re-runs it within one attempt (retry policy) writes an end marker per
 * try; a follower that reaches one before the next try starts stops there and can reconnect.
 */
export async function* readJobLog(
  js: JetStreamClient,
  subject: string,
  opts: ReadJobLogOptions = {},
): AsyncGenerator<string, void, undefined> {
  const { follow = false, signal, minRetry = 0 } = opts;
  if (signal?.aborted) return;
  const names = opts.names ?? DEFAULT_STREAM_NAMES;
  const jsm = await js.jetstreamManager();
  // Subjects under the known prefix skip the lookup; anything else asks the server which stream has it.
  const stream = subject.startsWith(`${names.logsSubjectPrefix}.`) ? names.logsStream : await jsm.streams.find(subject);

  const lastSeq = follow ? 0 : await lastSeqOfSubject(jsm, stream, subject);
  if (!follow && lastSeq === 0) return; // nothing written yet

  // The tail stops on its own (an end marker), at `until`, or when the caller's signal fires.
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  let read = 0;
  let until: number | undefined;
  opts.until?.then(
    (seq) => {
      until = seq;
      if (read >= seq) stop.abort();
    },
    () => undefined,
  );
  try {
    for await (const msg of orderedMessages(js, stream, subject, stop.signal)) {
      const isEnd = msg.headers?.get(LOG_HEADER.end) === '1';
      if (!isEnd && msg.data.length > 0) yield decoder.decode(msg.data);
      read = msg.seq;
      if (!follow && msg.seq >= lastSeq) return;
      if (follow && isEnd && retryOf(msg) >= minRetry && msg.info.pending === 0) return;
      if (until !== undefined && read >= until) return;
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

/** The stream sequence of the newest chunk stored for a job log subject (0: none). */
export async function lastLogSeq(js: JetStreamClient, subject: string, names = DEFAULT_STREAM_NAMES): Promise<number> {
  return lastSeqOfSubject(await js.jetstreamManager(), names.logsStream, subject);
}

async function lastSeqOfSubject(jsm: JetStreamManager, stream: string, subject: string): Promise<number> {
  try {
    return (await jsm.streams.getMessage(stream, { last_by_subj: subject })).seq;
  } catch (err) {
    if (isNotFound(err)) return 0;
    throw err;
  }
}

function retryOf(msg: JsMsg): number {
  const n = Number(msg.headers?.get(LOG_HEADER.retry) ?? '0');
  return Number.isFinite(n) ? n : 0;
}
