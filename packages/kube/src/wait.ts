import type { KubernetesObject } from '@kubernetes/client-node';
import { isNotFound, type KubeClients } from './client.js';

/** A wait ran past its deadline; the job ends `timeout`. */
export class WaitTimeoutError extends Error {}

export interface WaitOptions {
  /** aborts the wait at once (run cancelled, activity cancelled) */
  signal?: AbortSignal;
  /** absolute deadline, epoch ms */
  deadline: number;
  /** called every couple of seconds while waiting, so a lost worker is noticed and a live one is not */
  heartbeat?: () => void;
}

/** What a condition says about the object it watches. */
export type Verdict = { done: true } | { done: false; waitingFor: string } | { failed: string };

/**
 * Watches one named object (list path + field selector) until `check` is done, fails, or the deadline
 * passes. Starts from a fresh read, so a change that happened before the watch is never missed; a watch the
 * server closes is re-established. No polling interval: the answer comes with the event.
 */
export async function waitForObject<T extends KubernetesObject>(
  clients: KubeClients,
  what: string,
  listPath: string,
  name: string,
  read: () => Promise<T | undefined>,
  check: (obj: T | undefined) => Verdict,
  options: WaitOptions,
): Promise<T | undefined> {
  let last: Verdict = { done: false, waitingFor: 'the first read' };
  const beat = options.heartbeat ? setInterval(options.heartbeat, 2_000) : undefined;
  try {
    for (;;) {
      throwIfAborted(options.signal);
      if (Date.now() >= options.deadline)
        throw new WaitTimeoutError(`${what}: timed out waiting for ${describe(last)}`);
      const current = await read();
      last = check(current);
      if ('failed' in last) throw new Error(`${what}: ${last.failed}`);
      if (last.done) return current;
      const outcome = await watchUntil(clients, listPath, name, current?.metadata?.resourceVersion, check, options);
      if (outcome) {
        if ('failed' in outcome.verdict) throw new Error(`${what}: ${outcome.verdict.failed}`);
        if (outcome.verdict.done) return outcome.obj;
        last = outcome.verdict;
      }
    }
  } finally {
    if (beat) clearInterval(beat);
  }
}

function describe(v: Verdict): string {
  return 'waitingFor' in v ? v.waitingFor : 'a final state';
}

async function watchUntil<T extends KubernetesObject>(
  clients: KubeClients,
  listPath: string,
  name: string,
  resourceVersion: string | undefined,
  check: (obj: T | undefined) => Verdict,
  options: WaitOptions,
): Promise<{ obj: T | undefined; verdict: Verdict } | undefined> {
  return new Promise((resolve, reject) => {
    let controller: AbortController | undefined;
    let settled = false;
    let lastVerdict: { obj: T | undefined; verdict: Verdict } | undefined;
    const finish = (value: { obj: T | undefined; verdict: Verdict } | undefined, error?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      controller?.abort();
      if (error) reject(error);
      else resolve(value);
    };
    const onAbort = () => finish(undefined, abortError(options.signal));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    // Wake up at the deadline (the caller reports the timeout) and re-read at least every 30 s.
    const timer = setTimeout(() => finish(lastVerdict), Math.max(0, Math.min(options.deadline - Date.now(), 30_000)));
    clients.watcher
      .watch(
        listPath,
        {
          fieldSelector: `metadata.name=${name}`,
          ...(resourceVersion ? { resourceVersion } : {}),
          allowWatchBookmarks: true,
        },
        (phase, obj: T) => {
          if (phase === 'BOOKMARK') return;
          const current = phase === 'DELETED' ? undefined : obj;
          const verdict = check(current);
          lastVerdict = { obj: current, verdict };
          if ('failed' in verdict || verdict.done) finish(lastVerdict);
        },
        // The server ends watches after a while, or the resource version expired: read afresh.
        () => finish(lastVerdict),
      )
      .then((c) => {
        controller = c;
        if (settled) c.abort();
      })
      .catch(() => finish(lastVerdict));
  });
}

export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw abortError(signal);
}

function abortError(signal?: AbortSignal): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason : new Error('cancelled');
}

/** Reads that treat "not found" as undefined, which most conditions care about. */
export async function readOrUndefined<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}
