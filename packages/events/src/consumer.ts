import { runEventProblem, type RunEvent } from '@stagecoach/contracts';
import type { Logger } from '@stagecoach/platform';
import { AckPolicy, DeliverPolicy, nanos, type NatsConnection } from 'nats';
import { DEFAULT_STREAM_NAMES, isNotFound, type StreamNames } from './jetstream.js';
import { PullSubscription, type PulledMessage } from './pull.js';

export interface RunEventConsumerOptions {
  nc: NatsConnection;
  /** Durable consumer name: every instance sharing it shares the work and the position. */
  durableName: string;
  logger: Logger;
  names?: StreamNames;
  /** Unacked messages are redelivered after this long (default 30 s). */
  ackWaitMs?: number;
  /** Messages per pull, and so at most in hand (default 64). */
  batchSize?: number;
  /** How long one pull waits for messages; also bounds how long stop() waits (default 1 s). */
  pullExpiresMs?: number;
  /** Delay before a message whose handler failed is redelivered (default 1 s). */
  retryDelayMs?: number;
  /**
   * Batch consumers only: how long to let events gather after the first of a burst arrives, so that
   * one call takes what one stage's transitions publish over a few ms (default 0: at once).
   */
  gatherMs?: number;
  /** Batch consumers only: an event that someone waits for, which ends the gathering at once. */
  endsGathering?: (event: RunEvent) => boolean;
}

export interface RunEventConsumer {
  /** Finishes the batch in hand (every message acked or nak'ed), then returns. */
  stop(): Promise<void>;
}

/** Thrown by a handler that cannot handle the event yet (a dependency lags): redelivered without an error log. */
export class RetryLater extends Error {
  constructor(
    message: string,
    readonly delayMs?: number,
  ) {
    super(message);
    this.name = 'RetryLater';
  }
}

const decoder = new TextDecoder();

/**
 * A durable pull consumer of run events with explicit acks: a message is acked only after `handle`
 * resolved, so a crash in between means a redelivery, which every handler must tolerate. A handler
 * that throws gets the message back after `retryDelayMs`. Pull requests are short (`pullExpiresMs`),
 * so that stop() waits for the last one to end and leaves none open on the server to swallow
 * messages meant for the next instance.
 */
export function startRunEventConsumer(
  opts: RunEventConsumerOptions,
  handle: (event: RunEvent) => Promise<void>,
): Promise<RunEventConsumer> {
  return consume(opts, async (deliveries, settle) => {
    for (const { msg, event } of deliveries) await settle(msg, event, handle);
  });
}

/**
 * startRunEventConsumer for handlers that take several events at once: each call gets every event
 * that arrived while the previous call ran (in stream order), and its messages are acked together.
 * When a call fails, its events are handled one at a time, so one bad event holds back only itself.
 */
export function startRunEventBatchConsumer(
  opts: RunEventConsumerOptions,
  handleBatch: (events: RunEvent[]) => Promise<void>,
): Promise<RunEventConsumer> {
  return consume(opts, async (deliveries, settle) => {
    try {
      await handleBatch(deliveries.map((d) => d.event));
    } catch {
      for (const { msg, event } of deliveries) await settle(msg, event, (one) => handleBatch([one]));
      return;
    }
    for (const { msg } of deliveries) msg.ack();
  });
}

/** A message and the event it carries. */
interface Delivery {
  msg: PulledMessage;
  event: RunEvent;
}

/** Handles one message's event and acks it (or hands it back to be redelivered). */
type Settle = (msg: PulledMessage, event: RunEvent, handle: (event: RunEvent) => Promise<void>) => Promise<void>;

async function consume(
  opts: RunEventConsumerOptions,
  handleChunk: (deliveries: Delivery[], settle: Settle) => Promise<void>,
): Promise<RunEventConsumer> {
  const names = opts.names ?? DEFAULT_STREAM_NAMES;
  const log = opts.logger;
  const batchSize = opts.batchSize ?? 64;
  const retryDelayMs = opts.retryDelayMs ?? 1000;

  const jsm = await opts.nc.jetstreamManager();
  await jsm.consumers.info(names.eventsStream, opts.durableName).catch(async (err: unknown) => {
    if (!isNotFound(err)) throw err;
    await jsm.consumers.add(names.eventsStream, {
      durable_name: opts.durableName,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: `${names.eventsSubjectPrefix}.>`,
      ack_wait: nanos(opts.ackWaitMs ?? 30_000),
      // Never give up on an event: a dropped one would leave a run stuck (or a notification unsent).
      max_deliver: -1,
    });
  });
  const pulls = new PullSubscription(opts.nc, {
    stream: names.eventsStream,
    durableName: opts.durableName,
    batch: batchSize,
    expiresMs: opts.pullExpiresMs ?? 1000,
    apiPrefix: opts.nc.jetstream().apiPrefix,
  });

  let stopping = false;
  let wake: (() => void) | undefined;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  /** The message's event. Redelivering a malformed message can never succeed: it is terminated (and said so loudly). */
  function decode(msg: PulledMessage): RunEvent | undefined {
    let problem: string | undefined;
    try {
      const event: unknown = JSON.parse(decoder.decode(msg.data));
      problem = runEventProblem(event);
      if (!problem) return event as RunEvent;
    } catch {
      problem = 'not JSON';
    }
    log.error({ subject: msg.subject, streamSeq: msg.seq, problem }, 'dropping malformed run event');
    msg.term();
    return undefined;
  }

  async function settle(
    msg: PulledMessage,
    event: RunEvent,
    handle: (event: RunEvent) => Promise<void>,
  ): Promise<void> {
    try {
      await handle(event);
      msg.ack();
    } catch (err) {
      if (err instanceof RetryLater) {
        log.debug({ runId: event.runId, seq: event.seq, reason: err.message }, 'run event deferred');
        msg.nak(err.delayMs ?? retryDelayMs);
        return;
      }
      log.error({ err, runId: event.runId, seq: event.seq }, 'handling run event failed; will retry');
      msg.nak(retryDelayMs);
    }
  }

  const loop = (async () => {
    while (!stopping) {
      try {
        // The next pull only once this one has ended and its messages are handled: at most a batch in hand.
        // Even when stopping, the pull runs to its end, so nothing is left for ack_wait.
        await inChunks(decoded(pulls.pull(), decode), opts, (chunk) => handleChunk(chunk, settle));
      } catch (err) {
        if (stopping) break;
        log.warn({ err }, 'pulling run events failed; retrying');
        await sleep(retryDelayMs);
      }
    }
    pulls.close();
  })();

  return {
    async stop() {
      stopping = true;
      wake?.();
      await loop;
    },
  };
}

async function* decoded(
  messages: AsyncIterable<PulledMessage>,
  decode: (msg: PulledMessage) => RunEvent | undefined,
): AsyncGenerator<Delivery> {
  for await (const msg of messages) {
    const event = decode(msg);
    if (event) yield { msg, event };
  }
}

/**
 * Hands `process` everything that arrived while its previous call ran: a burst becomes one call, and
 * a lone message is handled as soon as it comes, or `gatherMs` after it unless an event that ends the
 * gathering comes first.
 */
async function inChunks(
  deliveries: AsyncIterable<Delivery>,
  { gatherMs = 0, endsGathering }: Pick<RunEventConsumerOptions, 'gatherMs' | 'endsGathering'>,
  process: (chunk: Delivery[]) => Promise<void>,
): Promise<void> {
  const queue: Delivery[] = [];
  const ends = (delivery: Delivery) => endsGathering?.(delivery.event) ?? false;
  let done = false;
  let arrived: (() => void) | undefined;
  let gathered: (() => void) | undefined;
  const pump = (async () => {
    try {
      for await (const delivery of deliveries) {
        queue.push(delivery);
        if (ends(delivery)) gathered?.();
        arrived?.();
      }
    } finally {
      done = true;
      gathered?.();
      arrived?.();
    }
  })();
  // A failing pull surfaces at `await pump` below; until then it must not count as unhandled.
  pump.catch(() => undefined);
  for (;;) {
    if (queue.length > 0) {
      if (gatherMs > 0 && !done && !queue.some(ends)) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, gatherMs);
          gathered = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        gathered = undefined;
      }
      await process(queue.splice(0));
    } else if (done) {
      break;
    } else {
      await new Promise<void>((resolve) => (arrived = resolve));
      arrived = undefined;
    }
  }
  await pump;
}
