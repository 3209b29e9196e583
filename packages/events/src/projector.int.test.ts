import type { RunEvent } from '@stagecoach/contracts';
import {
  applyRunEvent,
  applyRunEvents,
  createDb,
  deleteRun,
  getRun,
  insertRun,
  listJobRuns,
  ProjectionCache,
  type DbHandle,
} from '@stagecoach/db';
import { createTestDatabase, type TestDatabase } from '@stagecoach/db/testing';
import { createLogger } from '@stagecoach/platform';
import { nanos, type JetStreamClient, type JetStreamManager, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ensureStreams, runEventSubject, type StreamNames } from './jetstream.js';
import { startProjector, type Projector } from './projector.js';
import { encodeRunEvent, publishRunEvents } from './publisher.js';
import { connectNats, runEvent as event, uniqueStreamNames, waitFor } from './test-helpers.js';

const logger = createLogger({ name: 'projector-test', level: 'silent' });
const DURABLE = 'projector';

let testDb: TestDatabase;
let handle: DbHandle;
let nc: NatsConnection;
let js: JetStreamClient;
let jsm: JetStreamManager;
let names: StreamNames;
let projector: Projector | undefined;

const job = (runNumber: number, seq: number, status: RunEvent['status'], fields: Partial<RunEvent> = {}) =>
  event(runNumber, seq, { kind: 'job', stage: 'build', job: 'compile', jobType: 'freestyle', status, ...fields });

/** Waits until the durable consumer has nothing pending or unacknowledged. */
async function drained(): Promise<void> {
  await waitFor(async () => {
    const info = await jsm.consumers.info(names.eventsStream, DURABLE);
    return info.num_pending === 0 && info.num_ack_pending === 0;
  }, 'projector to drain');
}

/** Publishes without Nats-Msg-Id: what a redelivery after the duplicate window looks like to the projector. */
async function publishRaw(e: RunEvent): Promise<void> {
  await js.publish(runEventSubject(names, e.project, e.workflow, e.runNumber), encodeRunEvent(e));
}

beforeAll(async () => {
  testDb = await createTestDatabase();
  handle = createDb(testDb.url);
  nc = await connectNats();
  js = nc.jetstream();
  jsm = await nc.jetstreamManager();
  names = uniqueStreamNames('proj');
  await ensureStreams(jsm, { names });
  projector = await startProjector({ nc, db: handle.db, durableName: DURABLE, logger, names, retryDelayMs: 200 });
});

afterAll(async () => {
  await projector?.stop();
  if (jsm) {
    await jsm.streams.delete(names.eventsStream).catch(() => undefined);
    await jsm.streams.delete(names.logsStream).catch(() => undefined);
  }
  await nc?.drain();
  await handle?.close();
  await testDb?.drop();
});

describe('ensureStreams', () => {
  it('creates both streams with dedupe and retention, and is idempotent', async () => {
    const again = await ensureStreams(jsm, { names });
    expect(again.events.config).toMatchObject({
      subjects: [`${names.eventsSubjectPrefix}.>`],
      storage: 'file',
      duplicate_window: nanos(2 * 60 * 1000),
      max_age: nanos(30 * 24 * 3600 * 1000),
    });
    expect(again.logs.config).toMatchObject({
      subjects: [`${names.logsSubjectPrefix}.>`],
      storage: 'file',
      max_age: nanos(30 * 24 * 3600 * 1000),
    });
  });
});

describe('projector', () => {
  it('projects a run, its stage and job into runs, stages and job_runs', async () => {
    await insertRun(handle.db, {
      project: 'demo',
      workflow: 'wf',
      runNumber: 1,
      creator: 'alice',
      stages: [
        { name: 'build', status: 'created', jobs: [{ name: 'compile', type: 'freestyle', status: 'created' }] },
        { name: 'deploy', status: 'created', jobs: [] },
      ],
    });
    await publishRunEvents(
      js,
      [
        event(1, 0),
        event(1, 1, { kind: 'stage', stage: 'build' }),
        job(1, 2, 'running'),
        job(1, 3, 'passed', { outputs: { IMAGE: 'app:1' } }),
        event(1, 4, { kind: 'stage', stage: 'build', status: 'passed' }),
        event(1, 5, { status: 'passed' }),
      ],
      { names },
    );
    await drained();
    const run = await getRun(handle.db, 'demo/wf/1');
    expect(run).toMatchObject({
      status: 'passed',
      creator: 'alice',
      startTime: new Date(1_700_000_000_000),
      endTime: new Date(1_700_000_005_000),
      lastEventSeq: 5,
    });
    expect(run?.stages).toEqual([
      {
        name: 'build',
        status: 'passed',
        startTime: 1_700_000_001_000,
        endTime: 1_700_000_004_000,
        jobs: [
          {
            name: 'compile',
            type: 'freestyle',
            status: 'passed',
            startTime: 1_700_000_002_000,
            endTime: 1_700_000_003_000,
            outputs: { IMAGE: 'app:1' },
          },
        ],
      },
      { name: 'deploy', status: 'created', jobs: [] },
    ]);
    expect(await listJobRuns(handle.db, 'demo/wf/1')).toMatchObject([
      { stage: 'build', job: 'compile', status: 'passed', outputs: { IMAGE: 'app:1' }, jobType: 'freestyle' },
    ]);
  });

  it('publishing the same event twice has one effect', async () => {
    const e = event(2, 0, { creator: 'bob' });
    const [first] = await publishRunEvents(js, [e], { names });
    const [second] = await publishRunEvents(js, [e], { names });
    expect(first?.duplicate).toBe(false);
    expect(second?.duplicate).toBe(true);
    expect(second?.seq).toBe(first?.seq);
    await drained();
    // The run row did not exist: the projector inserted it from the event.
    expect(await getRun(handle.db, 'demo/wf/2')).toMatchObject({ status: 'running', creator: 'bob', lastEventSeq: 0 });
    // Applying it again (a redelivery) changes nothing.
    expect(await applyRunEvent(handle.db, e)).toEqual({ runExisted: true, applied: false });
  });

  it('older or redelivered events never move a run, stage or job backwards', async () => {
    await publishRunEvents(
      js,
      [
        event(3, 0),
        job(3, 1, 'running'),
        job(3, 2, 'failed', { error: 'exit 1' }),
        event(3, 3, { status: 'failed', error: 'job failed' }),
      ],
      { names },
    );
    await drained();
    // Late copies of older events (past the dedupe window, so JetStream stores them again).
    await publishRaw(job(3, 1, 'running'));
    await publishRaw(event(3, 0));
    await publishRaw(event(3, 3, { status: 'running' }));
    await drained();
    const run = await getRun(handle.db, 'demo/wf/3');
    expect(run).toMatchObject({ status: 'failed', error: 'job failed', lastEventSeq: 3 });
    expect(run?.stages[0]?.jobs[0]).toMatchObject({ status: 'failed', error: 'exit 1' });
    expect(await listJobRuns(handle.db, 'demo/wf/3')).toMatchObject([{ status: 'failed', error: 'exit 1' }]);
  });

  it('out-of-order arrival keeps the newest state', async () => {
    await publishRunEvents(
      js,
      [event(4, 2, { status: 'passed' }), job(4, 1, 'passed'), event(4, 0), job(4, 0, 'running')],
      {
        names,
      },
    );
    await drained();
    expect(await getRun(handle.db, 'demo/wf/4')).toMatchObject({ status: 'passed' });
    expect(await listJobRuns(handle.db, 'demo/wf/4')).toMatchObject([{ status: 'passed' }]);
  });

  it('cancelled is sticky within a retry; a retry revives the run', async () => {
    await publishRunEvents(js, [event(5, 0), job(5, 1, 'running'), event(5, 2, { status: 'cancelled' })], { names });
    // The workflow reports its last transitions after the cancel, with higher seqs.
    await publishRunEvents(
      js,
      [job(5, 3, 'cancelled'), event(5, 4, { status: 'failed' }), event(5, 5, { status: 'running' })],
      {
        names,
      },
    );
    await drained();
    expect(await getRun(handle.db, 'demo/wf/5')).toMatchObject({ status: 'cancelled', retryNum: 0 });
    expect(await listJobRuns(handle.db, 'demo/wf/5')).toMatchObject([{ status: 'cancelled' }]);

    // Retry: seq restarts at 0 with retryNum 1, and is newer than anything of retry 0.
    await publishRunEvents(
      js,
      [event(5, 0, { retryNum: 1, time: 1_800_000_000_000 }), job(5, 1, 'running', { retryNum: 1 })],
      {
        names,
      },
    );
    await drained();
    const run = await getRun(handle.db, 'demo/wf/5');
    expect(run).toMatchObject({
      status: 'running',
      retryNum: 1,
      endTime: null,
      startTime: new Date(1_800_000_000_000),
    });
    expect(await listJobRuns(handle.db, 'demo/wf/5')).toMatchObject([{ status: 'running', endTime: null }]);
  });

  it('starts the clock at the running work of each attempt: not at a queue, not at a cancel', async () => {
    await publishRunEvents(js, [event(40, 0, { status: 'queued' }), event(40, 1, { status: 'cancelled' })], { names });
    await drained();
    expect(await getRun(handle.db, 'demo/wf/40')).toMatchObject({ status: 'cancelled', startTime: null });

    // Retried through the concurrency queue: the clock starts when the retry runs, not when it queues.
    await publishRunEvents(
      js,
      [
        event(40, 0, { retryNum: 1, status: 'queued', time: 1_800_000_000_000 }),
        event(40, 1, { retryNum: 1, status: 'running', time: 1_800_000_005_000 }),
      ],
      { names },
    );
    await drained();
    expect(await getRun(handle.db, 'demo/wf/40')).toMatchObject({
      status: 'running',
      retryNum: 1,
      startTime: new Date(1_800_000_005_000),
    });
  });

  it('resumes without loss after a restart with the same durable', async () => {
    await projector!.stop();
    projector = undefined;
    const events = [event(6, 0), job(6, 1, 'running'), job(6, 2, 'passed'), event(6, 3, { status: 'passed' })];
    await publishRunEvents(js, events, { names });
    // Nothing applies them while the projector is down.
    expect(await getRun(handle.db, 'demo/wf/6')).toBeUndefined();
    projector = await startProjector({ nc, db: handle.db, durableName: DURABLE, logger, names, retryDelayMs: 200 });
    await drained();
    expect(await getRun(handle.db, 'demo/wf/6')).toMatchObject({ status: 'passed', lastEventSeq: 3 });
    expect(await listJobRuns(handle.db, 'demo/wf/6')).toMatchObject([{ status: 'passed' }]);
  });

  it('terminates a malformed message instead of redelivering it forever', async () => {
    await js.publish(`${names.eventsSubjectPrefix}.demo.wf.7`, new TextEncoder().encode('not json'));
    await drained();
    await publishRunEvents(js, [event(7, 0)], { names });
    await drained();
    expect(await getRun(handle.db, 'demo/wf/7')).toMatchObject({ status: 'running' });
  });

  it('applies the events of a batch in order, one run at a time, each with its own result', async () => {
    const results = await applyRunEvents(handle.db, [
      event(8, 0),
      job(8, 1, 'running'),
      event(9, 0, { creator: 'carol' }),
      job(8, 2, 'passed', { outputs: { IMAGE: 'app:8' } }),
      // A redelivered copy of an event already folded into this batch.
      job(8, 1, 'running'),
      event(8, 3, { status: 'passed' }),
    ]);
    expect(results).toEqual([
      { runExisted: false, applied: true },
      { runExisted: true, applied: true },
      { runExisted: false, applied: true },
      { runExisted: true, applied: true },
      { runExisted: true, applied: false },
      { runExisted: true, applied: true },
    ]);
    const run = await getRun(handle.db, 'demo/wf/8');
    expect(run).toMatchObject({ status: 'passed', lastEventSeq: 3, endTime: new Date(1_700_000_003_000) });
    expect(run?.stages).toEqual([
      {
        name: 'build',
        status: 'created',
        jobs: [
          {
            name: 'compile',
            type: 'freestyle',
            status: 'passed',
            startTime: 1_700_000_001_000,
            endTime: 1_700_000_002_000,
            outputs: { IMAGE: 'app:8' },
          },
        ],
      },
    ]);
    expect(await listJobRuns(handle.db, 'demo/wf/8')).toMatchObject([
      { job: 'compile', status: 'passed', startTime: new Date(1_700_000_001_000), outputs: { IMAGE: 'app:8' } },
    ]);
    expect(await getRun(handle.db, 'demo/wf/9')).toMatchObject({ status: 'running', creator: 'carol' });
  });

  it('drops an event that names no stage with the good ones around it, instead of redelivering it forever', async () => {
    await projector!.stop();
    const nameless = job(11, 1, 'running', { stage: undefined });
    await publishRunEvents(js, [event(11, 0), nameless, event(11, 2, { status: 'passed' })], { names });
    projector = await startProjector({ nc, db: handle.db, durableName: DURABLE, logger, names, retryDelayMs: 60_000 });
    await drained();
    expect(await getRun(handle.db, 'demo/wf/11')).toMatchObject({ status: 'passed', lastEventSeq: 2 });
    expect(await listJobRuns(handle.db, 'demo/wf/11')).toEqual([]);
    expect((await jsm.consumers.info(names.eventsStream, DURABLE)).num_redelivered).toBe(0);
  });

  it("projectors writing one run at the same time lose none of each other's changes", async () => {
    // Each write must find the run as it read it; a projector that comes second folds again on what
    // the first one wrote, so the run's stages document ends up with every job.
    await applyRunEvent(handle.db, event(12, 0));
    const second = createDb(testDb.url);
    try {
      const jobs = Array.from({ length: 24 }, (_, i) => job(12, i + 1, 'running', { job: `job-${i}` }));
      await Promise.all(jobs.map((e, i) => applyRunEvent(i % 2 === 0 ? handle.db : second.db, e)));
    } finally {
      await second.close();
    }
    const run = await getRun(handle.db, 'demo/wf/12');
    expect(run?.stages[0]?.jobs.map((j) => j.name).sort()).toEqual(
      Array.from({ length: 24 }, (_, i) => `job-${i}`).sort(),
    );
    expect(await listJobRuns(handle.db, 'demo/wf/12')).toHaveLength(24);
  });

  it('folds onto the projection it wrote last, and reads the run again when another writer came between', async () => {
    const cache = new ProjectionCache();
    await applyRunEvents(handle.db, [event(13, 0), job(13, 1, 'running', { job: 'a' })], cache);
    // Another projector (no cache of its own) writes the same run meanwhile.
    await applyRunEvent(handle.db, job(13, 2, 'running', { job: 'b' }));
    await applyRunEvents(handle.db, [job(13, 3, 'passed', { job: 'a' }), event(13, 4, { status: 'passed' })], cache);

    const run = await getRun(handle.db, 'demo/wf/13');
    expect(run).toMatchObject({ status: 'passed', lastEventSeq: 4 });
    expect(run?.stages[0]?.jobs.map((j) => [j.name, j.status])).toEqual([
      ['a', 'passed'],
      ['b', 'running'],
    ]);
    expect((await listJobRuns(handle.db, 'demo/wf/13')).map((j) => [j.job, j.status]).sort()).toEqual([
      ['a', 'passed'],
      ['b', 'running'],
    ]);
  });

  it('applies a batch onto the projection it kept with one statement: the write', async () => {
    const cache = new ProjectionCache();
    await applyRunEvents(handle.db, [event(15, 0)], cache);
    const statements = vi.spyOn(handle.db.$client, 'query');
    try {
      await applyRunEvents(handle.db, [job(15, 1, 'running')], cache);
      expect(statements).toHaveBeenCalledTimes(1);
    } finally {
      statements.mockRestore();
    }
    expect((await listJobRuns(handle.db, 'demo/wf/15')).map((j) => [j.job, j.status])).toEqual([
      ['compile', 'running'],
    ]);
  });

  it('does not let a kept projection hide a run row that was replaced since', async () => {
    const cache = new ProjectionCache();
    await applyRunEvents(handle.db, [event(14, 0), event(14, 1, { status: 'passed' })], cache);
    // The row goes and comes back fresh: what the cache remembers no longer describes it.
    await deleteRun(handle.db, 'demo/wf/14');
    await insertRun(handle.db, { project: 'demo', workflow: 'wf', runNumber: 14, creator: 'alice', stages: [] });

    const [result] = await applyRunEvents(handle.db, [event(14, 1, { status: 'running' })], cache);
    expect(result).toEqual({ runExisted: true, applied: true });
    expect(await getRun(handle.db, 'demo/wf/14')).toMatchObject({ status: 'running', lastEventSeq: 1 });
  });

  // Last: the bad event it leaves stays unacknowledged for as long as the stream lives.
  it('an event that fails to apply, arriving with good ones, holds back only itself', async () => {
    await projector!.stop();
    // Well formed, but its time is before any PostgreSQL timestamp: the write fails every time.
    const bad = job(10, 1, 'running', { time: -8.64e15 });
    await publishRunEvents(js, [event(10, 0), bad, event(10, 2, { status: 'passed' })], { names });
    // A redelivery would take a minute: the good events must get through at once, not after one.
    projector = await startProjector({ nc, db: handle.db, durableName: DURABLE, logger, names, retryDelayMs: 60_000 });
    await waitFor(async () => (await getRun(handle.db, 'demo/wf/10'))?.status === 'passed', 'the good events');
    expect(await listJobRuns(handle.db, 'demo/wf/10')).toEqual([]);
    const info = await jsm.consumers.info(names.eventsStream, DURABLE);
    expect(info.num_ack_pending).toBe(1);
  });
});
