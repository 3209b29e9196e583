import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createDb, getRun, type DbHandle } from '@stagecoach/db';
import { createTestDatabase, type TestDatabase } from '@stagecoach/db/testing';
import { ensureStreams, prefixedStreamNames, publishRunEvents, type StreamNames } from '@stagecoach/events';
import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, expect, it } from 'vitest';

// The projector runs in the notifier's process (not the worker's): the service as deployed keeps the run
// index current from the event stream, and stops cleanly.

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

let testDb: TestDatabase;
let handle: DbHandle;
let nc: NatsConnection;
let names: StreamNames;
let prefix: string;
let service: ChildProcess | undefined;

beforeAll(async () => {
  testDb = await createTestDatabase();
  handle = createDb(testDb.url);
  nc = await connect({ servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222' });
  prefix = `tnotifier${randomBytes(4).toString('hex')}`;
  names = prefixedStreamNames(prefix);
  await ensureStreams(await nc.jetstreamManager(), { names });
});

afterAll(async () => {
  service?.kill('SIGKILL');
  const jsm = await nc.jetstreamManager();
  await jsm.streams.delete(names.eventsStream).catch(() => undefined);
  await jsm.streams.delete(names.logsStream).catch(() => undefined);
  await nc.drain();
  await handle.close();
  await testDb.drop();
});

it('projects run events into PostgreSQL and stops on SIGTERM', async () => {
  service = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: {
      ...process.env,
      DATABASE_URL: testDb.url,
      STAGECOACH_STREAM_PREFIX: prefix,
      LOG_LEVEL: 'silent',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => service!.once('exit', resolve));

  await publishRunEvents(
    nc.jetstream(),
    [
      {
        runId: 'demo/build/1',
        seq: 1,
        retryNum: 0,
        project: 'demo',
        workflow: 'build',
        runNumber: 1,
        kind: 'run',
        status: 'running',
        creator: 'ann',
        time: Date.now(),
      },
    ],
    { names },
  );

  const deadline = Date.now() + 60_000;
  let status: string | undefined;
  while (Date.now() < deadline) {
    status = (await getRun(handle.db, 'demo/build/1'))?.status;
    if (status === 'running') break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(status).toBe('running');

  service.kill('SIGTERM');
  expect(await exited).toBe(0);
  service = undefined;
});
