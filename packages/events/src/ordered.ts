import type { JetStreamClient, JsMsg } from 'nats';

/**
 * An ordered consumer (ephemeral, flow controlled, recreated by the client on gaps) over `filter`,
 * from the stream's first message. Aborting `signal` ends the iteration normally.
 */
export async function* orderedMessages(
  js: JetStreamClient,
  stream: string,
  filter: string,
  signal?: AbortSignal,
): AsyncGenerator<JsMsg, void, undefined> {
  if (signal?.aborted) return;
  // A single filter subject as a string (filter_subject) works on nats-server 2.9; an array needs 2.10.
  // No deliver_policy: the ordered consumer starts at stream sequence 1, i.e. everything, and
  // passing DeliverPolicy.All next to its implicit start sequence makes the server reject it.
  // The server removes the ephemeral consumer a minute after the reader goes away (default: 5).
  const consumer = await js.consumers.get(stream, { filterSubjects: filter, inactive_threshold: 60_000 });
  const messages = await consumer.consume();
  const onAbort = () => messages.stop();
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted) onAbort(); // aborted while the consumer was being created
  try {
    for await (const msg of messages) yield msg;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await messages.close().catch(() => undefined);
  }
}
