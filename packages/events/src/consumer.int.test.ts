import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { RunEvent } from '@stagecoach/contracts';
import { createLogger } from '@stagecoach/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRunEventBatchConsumer } from './consumer.js';
import { runEventSubject } from './jetstream.js';
import { encodeRunEvent, publishRunEvents } from './publisher.js';
import { isolatedStreams, natsUrl, runEvent, waitFor, type IsolatedStreams } from './test-helpers.js';

const logger = createLogger({ name: 'consumer-test', level: 'silent' });
let streams: IsolatedStreams;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Holds this thread's event loop, as a long synchronous stretch of a busy process does. */
function holdEventLoop(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until);
}

/**
 * A thread of its own that publishes `data` to `subject` `delayMs` after it is told to: it publishes
 * while this thread's event loop is held. Resolves once it is connected.
 */
async function publisherThread(subject: string, data: Uint8Array, delayMs: number): Promise<Worker> {
  const worker = new Worker(
    `const { workerData, parentPort } = require('node:worker_threads');
     const { connect } = require(workerData.nats);
     connect({ servers: workerData.servers }).then((nc) => {
       parentPort.once('message', () => setTimeout(async () => {
         await nc.jetstream().publish(workerData.subject, workerData.data);
         await nc.close();
       }, workerData.delayMs));
       parentPort.postMessage('ready');
     });`,
    {
      eval: true,
      workerData: { nats: createRequire(import.meta.url).resolve('nats'), servers: natsUrl(), subject, data, delayMs },
    },
  );
  await new Promise((resolve) => worker.once('message', resolve));
  return worker;
}

beforeAll(async () => {
  streams = await isolatedStreams('consumer');
});
afterAll(() => streams?.dispose());

/** Publishes three events 40 ms apart to a fresh durable and returns the calls its handler got. */
async function callsFor(durableName: string, gatherMs: number, firstSeq: number): Promise<number[][]> {
  const calls: number[][] = [];
  const consumer = await startRunEventBatchConsumer(
    { nc: streams.nc, durableName, logger, names: streams.names, gatherMs },
    async (events) => void calls.push(events.map((e) => e.seq)),
  );
  for (let seq = firstSeq; seq < firstSeq + 3; seq++) {
    await publishRunEvents(streams.js, [runEvent(1, seq)], { names: streams.names });
    await sleep(40);
  }
  await waitFor(async () => calls.flat().includes(firstSeq + 2), 'the last event');
  await consumer.stop();
  return calls;
}

describe('startRunEventBatchConsumer', () => {
  it('hands over events that arrive within gatherMs of the first in one call', async () => {
    expect(await callsFor('gathering', 1000, 1)).toEqual([[1, 2, 3]]);
  });

  it('without gatherMs, hands over each event as it comes', async () => {
    // Its own durable starts at the stream's beginning: it sees the three events before these too.
    const calls = await callsFor('at-once', 0, 4);
    expect(calls.flat()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(calls.slice(-3)).toEqual([[4], [5], [6]]);
  });

  it('loses no event that arrives while a handler holds the event loop', async () => {
    // A pull that ends by the client's own clock while the server's last deliveries are still unread
    // drops them, and they come back only after ack_wait (here 2 minutes).
    const late = runEvent(2, 2);
    const publisher = await publisherThread(
      runEventSubject(streams.names, late.project, late.workflow, late.runNumber),
      encodeRunEvent(late),
      500,
    );
    await publishRunEvents(streams.js, [runEvent(2, 1)], { names: streams.names });
    const handled: string[] = [];
    const consumer = await startRunEventBatchConsumer(
      { nc: streams.nc, durableName: 'held', logger, names: streams.names, ackWaitMs: 120_000 },
      async (events) => {
        for (const event of events) {
          handled.push(event.runId + ':' + event.seq);
          if (event.runNumber === 2 && event.seq === 1) {
            publisher.postMessage('publish');
            holdEventLoop(1_500);
          }
        }
      },
    );
    try {
      await waitFor(async () => handled.includes('demo/wf/2:2'), 'the event published while the loop was held');
    } finally {
      await consumer.stop();
      await publisher.terminate();
    }
  });

  it('holds at most a batch: the next pull waits until the events in hand are handled', async () => {
    for (let seq = 1; seq <= 5; seq++) {
      await publishRunEvents(streams.js, [runEvent(3, seq)], { names: streams.names });
    }
    const calls: RunEvent[][] = [];
    // Gathering this long would take in all five if more than a batch were in hand.
    const consumer = await startRunEventBatchConsumer(
      { nc: streams.nc, durableName: 'bounded', logger, names: streams.names, batchSize: 2, gatherMs: 200 },
      async (events) => void calls.push(events),
    );
    try {
      await waitFor(async () => calls.flat().some((e) => e.runNumber === 3 && e.seq === 5), 'the fifth event');
    } finally {
      await consumer.stop();
    }
    expect(Math.max(...calls.map((call) => call.length))).toBe(2);
    expect(
      calls
        .flat()
        .filter((e) => e.runNumber === 3)
        .map((e) => e.seq),
    ).toEqual([1, 2, 3, 4, 5]);
  });

  it('hands over at once, with what gathered before it, an event that ends the gathering', async () => {
    const calls: number[][] = [];
    // Gathering a minute, in a pull that lasts 5 s: only the ending event hands the first one over
    // within the 3 s the test waits.
    const consumer = await startRunEventBatchConsumer(
      {
        nc: streams.nc,
        durableName: 'ended',
        logger,
        names: streams.names,
        pullExpiresMs: 5_000,
        gatherMs: 60_000,
        endsGathering: (event) => event.status === 'passed',
      },
      async (events) => void calls.push(events.filter((e) => e.runNumber === 9).map((e) => e.seq)),
    );
    try {
      await publishRunEvents(streams.js, [runEvent(9, 1)], { names: streams.names });
      await sleep(40);
      await publishRunEvents(streams.js, [runEvent(9, 2, { status: 'passed' })], { names: streams.names });
      await waitFor(async () => calls.flat().includes(2), 'the ending event', 3_000);
    } finally {
      await consumer.stop();
    }
    expect(calls.filter((call) => call.length > 0)).toEqual([[1, 2]]);
  });
});
