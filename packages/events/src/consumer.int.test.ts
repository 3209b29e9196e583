import { createLogger } from '@stagecoach/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRunEventBatchConsumer } from './consumer.js';
import { publishRunEvents } from './publisher.js';
import { isolatedStreams, runEvent, waitFor, type IsolatedStreams } from './test-helpers.js';

const logger = createLogger({ name: 'consumer-test', level: 'silent' });
let streams: IsolatedStreams;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  streams = await isolatedStreams('consumer');
});
afterAll(() => streams?.dispose());

/** Publishes three events 40 ms apart to a fresh durable and returns the calls its handler got. */
async function callsFor(durableName: string, gatherMs: number, firstSeq: number): Promise<number[][]> {
  const calls: number[][] = [];
  const consumer = await startRunEventBatchConsumer(
    { js: streams.js, durableName, logger, names: streams.names, gatherMs },
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
});
