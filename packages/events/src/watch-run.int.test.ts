import type { RunEvent } from '@stagecoach/contracts';
import type { Status } from '@stagecoach/spec';
import type { JetStreamClient } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamNames } from './jetstream.js';
import { createLogWriter } from './logs.js';
import { publishRunEvents } from './publisher.js';
import { isolatedStreams, type IsolatedStreams } from './test-helpers.js';
import { watchRun, type RunWatchItem } from './watch-run.js';

let streams: IsolatedStreams | undefined;
let js: JetStreamClient;
let names: StreamNames;

beforeAll(async () => {
  streams = await isolatedStreams('watch');
  ({ js, names } = streams);
});

afterAll(async () => {
  await streams?.dispose();
});

/** Publishes the events of one run attempt, numbering them as the workflow does. */
function runEvents(runNumber: number, retryNum = 0) {
  let seq = retryNum * 100;
  return (kind: RunEvent['kind'], status: Status, extra: Partial<RunEvent> = {}) =>
    publishRunEvents(
      js,
      [
        {
          runId: `demo/wf/${runNumber}`,
          seq: ++seq,
          retryNum,
          project: 'demo',
          workflow: 'wf',
          runNumber,
          kind,
          status,
          time: Date.now(),
          ...extra,
        },
      ],
      { names },
    );
}

const logWriter = (runNumber: number, job: string, retryNum = 0) =>
  createLogWriter(js, { project: 'demo', workflow: 'wf', runNumber, job, retryNum }, { names, flushIntervalMs: 10 });

const describeItem = (item: RunWatchItem) =>
  item.type === 'log'
    ? `log ${item.job}: ${item.text}`
    : `${item.event.kind}${item.event.job ? ` ${item.event.job}` : ''} ${item.event.status} #${item.event.retryNum}`;

async function collect(items: AsyncIterable<RunWatchItem>, seen: string[] = []): Promise<string[]> {
  for await (const item of items) seen.push(describeItem(item));
  return seen;
}

describe('watchRun', () => {
  it('replays a finished run: events in order, log lines per job, the final event last', async () => {
    const emit = runEvents(1);
    await emit('run', 'running');
    await emit('job', 'running', { stage: 's', job: 'build.app' });
    const log = logWriter(1, 'build.app');
    log.write('compiling\nlinking');
    log.write(' done\r\nno newline at the end');
    await log.close('passed');
    await emit('job', 'passed', { stage: 's', job: 'build.app' });
    await emit('run', 'passed');

    const seen = await collect(
      watchRun(js, { project: 'demo', workflow: 'wf', runNumber: 1 }, { names, jobs: ['build.app'] }),
    );
    expect(seen.filter((s) => !s.startsWith('log'))).toEqual([
      'run running #0',
      'job build.app running #0',
      'job build.app passed #0',
      'run passed #0',
    ]);
    expect(seen.filter((s) => s.startsWith('log'))).toEqual([
      'log build.app: compiling',
      'log build.app: linking done',
      'log build.app: no newline at the end',
    ]);
    expect(seen.at(-1)).toBe('run passed #0');
  });

  it('follows a live run and ends at its final event', async () => {
    const seen: string[] = [];
    const watching = collect(watchRun(js, { project: 'demo', workflow: 'wf', runNumber: 2 }, { names }), seen);
    const emit = runEvents(2);
    await emit('run', 'running');
    await emit('job', 'running', { stage: 's', job: 'test' });
    const log = logWriter(2, 'test');
    for (let i = 1; i <= 3; i++) {
      log.write(`step ${i}\n`);
      await new Promise((r) => setTimeout(r, 30));
    }
    await expect.poll(() => seen.includes('log test: step 3'), { timeout: 5000 }).toBe(true);
    expect(seen).not.toContain('run failed #0');
    await log.close('failed');
    await emit('job', 'failed', { stage: 's', job: 'test' });
    await emit('run', 'failed');
    await watching;
    // Events and logs come from two streams: each in order, the final event last.
    expect(seen.filter((s) => !s.startsWith('log'))).toEqual([
      'run running #0',
      'job test running #0',
      'job test failed #0',
      'run failed #0',
    ]);
    expect(seen.filter((s) => s.startsWith('log'))).toEqual([
      'log test: step 1',
      'log test: step 2',
      'log test: step 3',
    ]);
    expect(seen.at(-1)).toBe('run failed #0');
  });

  it("does not end at an earlier attempt's final event", async () => {
    const first = runEvents(3, 0);
    await first('run', 'running');
    await first('run', 'failed');
    const seen: string[] = [];
    const watching = collect(
      watchRun(js, { project: 'demo', workflow: 'wf', runNumber: 3 }, { names, minRetry: 1 }),
      seen,
    );
    await expect.poll(() => seen.length, { timeout: 5000 }).toBe(2);
    const retry = runEvents(3, 1);
    await retry('run', 'running');
    await retry('run', 'passed');
    await watching;
    expect(seen).toEqual(['run running #0', 'run failed #0', 'run running #1', 'run passed #1']);
  });

  it('stops without an error when its signal is aborted', async () => {
    await runEvents(4)('run', 'running');
    const abort = new AbortController();
    const seen: string[] = [];
    const watching = collect(
      watchRun(js, { project: 'demo', workflow: 'wf', runNumber: 4 }, { names, signal: abort.signal }),
      seen,
    );
    await expect.poll(() => seen.length, { timeout: 5000 }).toBe(1);
    abort.abort();
    await expect(watching).resolves.toEqual(['run running #0']);
  });
});
