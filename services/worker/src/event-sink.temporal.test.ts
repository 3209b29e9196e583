import { randomBytes } from 'node:crypto';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PIPELINE_RUN_WORKFLOW, type RunEvent, type RunInput, type RunResult } from '@stagecoach/contracts';
import { ensureStreams, prefixedStreamNames } from '@stagecoach/events';
import { SecretBox } from '@stagecoach/platform';
import { Engine, SECRET_KEY } from '@stagecoach/testkit';
import { createWorker } from './worker.js';

// The run workflow hands its events to the worker's sink, which must have them stored in JetStream
// before the workflow task that follows them is reported. These tests hold the events stream away
// and watch the run wait for it.

let engine: Engine;
let connection: NativeConnection;
let worker: Worker;
let workerRun: Promise<void>;
const names = prefixedStreamNames(`tsink${randomBytes(4).toString('hex')}`);
const taskQueue = `sink-${randomBytes(4).toString('hex')}`;

/** A worker on `queue` whose events go to `names`, streams that do not exist until a test creates them. */
function sinkWorker(queue: string): Promise<Worker> {
  const bundlePath = process.env.STAGECOACH_TEST_WORKFLOW_BUNDLE;
  return createWorker({
    connection,
    namespace: 'default',
    temporal: engine.temporal,
    db: engine.dbHandle.db,
    js: engine.nc.jetstream(),
    box: new SecretBox(SECRET_KEY),
    workspaceRoot: engine.workspaceRoot,
    taskQueue: queue,
    names,
    ...(bundlePath ? { workflowBundle: { codePath: bundlePath } } : {}),
  });
}

beforeAll(async () => {
  engine = await Engine.start({ inProcessWorker: false });
  connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  worker = await sinkWorker(taskQueue);
  workerRun = worker.run();
});
afterAll(async () => {
  worker?.shutdown();
  await workerRun;
  await connection?.close();
  await engine?.stop();
});

function runInput(runNumber: number): RunInput {
  return {
    version: 1,
    project: 'sink',
    projectDisplayName: 'sink',
    workflow: 'held',
    runNumber,
    creator: 'alice',
    createdAt: Date.now(),
    // No job activity: every event of this run leaves through the sink.
    definition: {
      name: 'held',
      project: 'sink',
      stages: [{ name: 'only', jobs: [{ name: 'noop', type: 'freestyle', run_policy: 'skip', spec: { script: '' } }] }],
    },
    params: {},
    secretParams: [],
  };
}

async function storedEvents(): Promise<RunEvent[]> {
  const jsm = await engine.nc.jetstreamManager();
  const { state } = await jsm.streams.info(names.eventsStream);
  const events: RunEvent[] = [];
  for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
    events.push((await jsm.streams.getMessage(names.eventsStream, { seq })).json<RunEvent>());
  }
  return events;
}

/** Starts a run, holds the events stream away for `awayMs`, and returns the run's result once it is back. */
async function runWithStreamAway(awayMs: number): Promise<{ result: RunResult; runningWhileAway: boolean }> {
  const handle = await startHeldRun(taskQueue);
  await new Promise((resolve) => setTimeout(resolve, awayMs));
  const runningWhileAway = (await handle.describe()).status.name === 'RUNNING';
  await ensureStreams(await engine.nc.jetstreamManager(), { names });
  return { result: (await handle.result()) as RunResult, runningWhileAway };
}

function startHeldRun(queue: string) {
  return engine.temporal.workflow.start(PIPELINE_RUN_WORKFLOW, {
    workflowId: `sink/held/${randomBytes(4).toString('hex')}`,
    taskQueue: queue,
    args: [runInput(1)],
  });
}

const eventLabels = (events: RunEvent[]) => events.map((e) => `${e.kind}:${e.job ?? e.stage ?? ''}:${e.status}`);
const RUN_EVENTS = ['run::running', 'stage:only:running', 'job:noop:skipped', 'stage:only:skipped', 'run::skipped'];

describe('run events through the worker sink', () => {
  afterEach(async () => {
    const jsm = await engine.nc.jetstreamManager();
    for (const stream of [names.eventsStream, names.logsStream])
      await jsm.streams.delete(stream).catch(() => undefined);
  });

  it('the run does not complete until JetStream has stored its events, and then every one is there once', async () => {
    const { result, runningWhileAway } = await runWithStreamAway(2_000);
    expect(runningWhileAway).toBe(true);
    expect(result.status).toBe('skipped');
    const events = await storedEvents();
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(eventLabels(events)).toEqual(RUN_EVENTS);
  });

  it('an outage longer than the workflow task timeout (10 s) times the task out; its next attempt publishes again', async () => {
    const { result, runningWhileAway } = await runWithStreamAway(12_000);
    expect(runningWhileAway).toBe(true);
    expect(result.status).toBe('skipped');
    // The timed-out attempt and the next one may both have published: JetStream kept each event once.
    expect(eventLabels(await storedEvents())).toEqual(RUN_EVENTS);
  });

  it('a worker shut down while the stream is away loses no event, and a later worker finishes the run', async () => {
    const queue = `${taskQueue}-stop`;
    const stopping = await sinkWorker(queue);
    const stoppingRun = stopping.run();
    const handle = await startHeldRun(queue);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    stopping.shutdown();
    // Shutting down neither drops the held events nor completes the run without them.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((await handle.describe()).status.name).toBe('RUNNING');
    await ensureStreams(await engine.nc.jetstreamManager(), { names });
    await stoppingRun;
    const next = await sinkWorker(queue);
    const nextRun = next.run();
    try {
      expect(((await handle.result()) as RunResult).status).toBe('skipped');
    } finally {
      next.shutdown();
      await nextRun;
    }
    expect(eventLabels(await storedEvents())).toEqual(RUN_EVENTS);
  });
});
