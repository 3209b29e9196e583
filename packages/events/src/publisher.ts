import { eventMsgId, type RunEvent } from '@stagecoach/contracts';
import type { JetStreamClient, PubAck } from 'nats';
import { DEFAULT_STREAM_NAMES, runEventSubject, type StreamNames } from './jetstream.js';

export interface PublishOptions {
  names?: StreamNames;
  /** PubAck timeout per message (nats default 5 s). */
  timeoutMs?: number;
}

const encoder = new TextEncoder();

export function encodeRunEvent(event: RunEvent): Uint8Array {
  return encoder.encode(JSON.stringify(event));
}

/**
 * Publishes events in the order given and resolves when every PubAck is in. Nats-Msg-Id = eventMsgId(e): when a caller retries after a lost ack
 * (activity retry, worker crash), JetStream drops the copy inside the duplicate window
 * (the PubAck then has `duplicate: true`).
 */
export async function publishRunEvents(
  js: JetStreamClient,
  events: readonly RunEvent[],
  opts: PublishOptions = {},
): Promise<PubAck[]> {
  const names = opts.names ?? DEFAULT_STREAM_NAMES;
  // All publishes leave on one connection in call order and the stream stores them in arrival order,
  // so waiting for the acks together keeps the order and costs one round trip instead of one each.
  return Promise.all(
    events.map((event) =>
      js.publish(runEventSubject(names, event.project, event.workflow, event.runNumber), encodeRunEvent(event), {
        msgID: eventMsgId(event),
        // Fails instead of silently landing in another stream that happens to capture the subject.
        expect: { streamName: names.eventsStream },
        ...(opts.timeoutMs !== undefined ? { timeout: opts.timeoutMs } : {}),
      }),
    ),
  );
}

/**
 * publishRunEvents, again and again until JetStream has stored every event: for callers that have no
 * retry of their own to fall back on (the worker's event sink). Waits grow from 100 ms to 1 s: a run
 * waits on this, so it should notice a returning server soon. `onRetry` hears each failure.
 */
export async function publishRunEventsUntilStored(
  js: JetStreamClient,
  events: readonly RunEvent[],
  opts: PublishOptions & { onRetry?: (err: unknown, attempt: number) => void } = {},
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await publishRunEvents(js, events, opts);
      return;
    } catch (err) {
      opts.onRetry?.(err, attempt);
      await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** (attempt - 1), 1_000)));
    }
  }
}
