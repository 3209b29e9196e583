import type { JetStreamClient, JetStreamManager } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobLogSubject, type StreamNames } from './jetstream.js';
import { createLogWriter, LOG_HEADER, readJobLog, type LogTarget } from './logs.js';
import { isolatedStreams, waitFor, type IsolatedStreams } from './test-helpers.js';

let streams: IsolatedStreams | undefined;
let js: JetStreamClient;
let jsm: JetStreamManager;
let names: StreamNames;

const target = (job: string, retryNum = 0): LogTarget => ({
  project: 'demo',
  workflow: 'wf',
  runNumber: 1,
  job,
  retryNum,
});

async function collect(iterable: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const chunk of iterable) out.push(chunk);
  return out;
}

beforeAll(async () => {
  streams = await isolatedStreams('logs');
  ({ js, jsm, names } = streams);
});

afterAll(async () => {
  await streams?.dispose();
});

describe('job logs', () => {
  it('batches writes into chunks with Seq/Retry headers and an end marker', async () => {
    const writer = createLogWriter(js, target('batch'), { names });
    for (let i = 0; i < 100; i++) writer.write(`line ${i}\n`);
    await writer.close('passed');
    const subject = jobLogSubject(names, 'demo', 'wf', 1, 'batch');
    expect(writer.subject).toBe(subject);
    const info = await jsm.streams.info(names.logsStream, { subjects_filter: subject });
    // 100 synchronous writes fit one chunk; plus the end marker.
    expect(info.state.subjects?.[subject]).toBe(2);
    const last = await jsm.streams.getMessage(names.logsStream, { last_by_subj: subject });
    expect(last.header.get(LOG_HEADER.end)).toBe('1');
    expect(last.header.get(LOG_HEADER.seq)).toBe('1');
    expect(last.header.get(LOG_HEADER.retry)).toBe('0');
    expect(last.header.get(LOG_HEADER.status)).toBe('passed');
    const text = (await collect(readJobLog(js, subject, { names }))).join('');
    expect(text).toBe(Array.from({ length: 100 }, (_, i) => `line ${i}\n`).join(''));
  });

  it('splits large output at 16 KiB without breaking multi-byte characters', async () => {
    const writer = createLogWriter(js, target('big'), { names });
    const big = 'é漢🚀x'.repeat(10_000); // ~100 KB of mixed-width UTF-8
    writer.write(big);
    await writer.close('passed');
    const chunks = await collect(readJobLog(js, writer.subject, { names }));
    expect(chunks.length).toBeGreaterThan(5);
    for (const c of chunks) expect(Buffer.byteLength(c)).toBeLessThanOrEqual(16 * 1024);
    expect(chunks.join('')).toBe(big);
  });

  it('reads nothing for a job that wrote nothing (without follow)', async () => {
    expect(await collect(readJobLog(js, jobLogSubject(names, 'demo', 'wf', 1, 'silent'), { names }))).toEqual([]);
  });

  it('follow receives live chunks and stops at the end marker', async () => {
    const writer = createLogWriter(js, target('live'), { names, flushIntervalMs: 20 });
    const received: string[] = [];
    const done = (async () => {
      for await (const chunk of readJobLog(js, writer.subject, { follow: true, names })) received.push(chunk);
    })();
    writer.write('first\n');
    await waitFor(async () => received.join('') === 'first\n', 'the first live chunk');
    writer.write('second\n');
    await waitFor(async () => received.join('') === 'first\nsecond\n', 'the second live chunk');
    await writer.close('passed');
    await done;
    expect(received.join('')).toBe('first\nsecond\n');
  });

  it('returns every attempt in order; follow ends at the last attempt’s end marker', async () => {
    const first = createLogWriter(js, target('retried', 0), { names });
    first.write('attempt 0\n');
    await first.close('failed');

    // A follower that starts between attempts and knows a retry was requested (minRetry 1).
    const received: string[] = [];
    const follower = (async () => {
      for await (const chunk of readJobLog(js, first.subject, { follow: true, minRetry: 1, names }))
        received.push(chunk);
    })();
    await waitFor(async () => received.join('') === 'attempt 0\n', 'the earlier attempt');

    const second = createLogWriter(js, target('retried', 1), { names });
    second.write('attempt 1\n');
    await second.close('passed');
    await follower;
    expect(received.join('')).toBe('attempt 0\nattempt 1\n');

    // After the fact: a plain read and a follow both see both attempts and end.
    expect((await collect(readJobLog(js, first.subject, { names }))).join('')).toBe('attempt 0\nattempt 1\n');
    expect((await collect(readJobLog(js, first.subject, { follow: true, names }))).join('')).toBe(
      'attempt 0\nattempt 1\n',
    );
  });

  it('follow stops when the signal aborts', async () => {
    const controller = new AbortController();
    const subject = jobLogSubject(names, 'demo', 'wf', 1, 'never');
    const reading = collect(readJobLog(js, subject, { follow: true, signal: controller.signal, names }));
    setTimeout(() => controller.abort(), 200);
    expect(await reading).toEqual([]);
  });
});
