// npm run bench:engine-overhead — Stagecoach's overhead over a bare Temporal workflow of the same
// shape. Both run 4 stages x 3 parallel no-op freestyle jobs through the same job activity on the
// same servers, interleaved; a Stagecoach run is timed from the gateway's POST to the run's result.
// Each side's worker is a process of its own, as deployed, and so is Stagecoach's notifier service: the
// projector and the notification consumer, whose work on every run's events is part of the engine's
// cost. The gateway runs here.
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { JobActivityInput } from '@stagecoach/contracts';
import { ADMIN_TOKEN, Engine, scheduledJob, startTestStack } from '@stagecoach/testkit';
import { post } from '../lib/http.js';
import { percentile } from '../lib/stats.js';
import type { bareShapeWorkflow } from './bare.workflow.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 100);
const WARMUP = 5;
const STAGES = 4;
const JOBS = 3;
const jobName = (stage: number, job: number) => `s${stage}-j${job}`;

Runtime.install({ logger: new DefaultLogger('ERROR') });
const stack = await startTestStack({ temporal: true });
Object.assign(process.env, stack.env);
// The servers run in process groups of their own: an interrupted benchmark must still stop them.
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => void stack.stop().then(() => process.exit(130)));
const engine = await Engine.start({ inProcessWorker: false, inProcessProjector: false });
const worker = engine.spawnService('worker');
const notifier = engine.spawnService('notifier');

const bareQueue = `${engine.taskQueue}-bare`;
const bareWorker = engine.spawnScript(fileURLToPath(new URL('./bare-worker.ts', import.meta.url)), {
  STAGECOACH_TASK_QUEUE: bareQueue,
  STAGECOACH_STREAM_PREFIX: `${engine.workerProcessEnv().STAGECOACH_STREAM_PREFIX}-bare`,
});

await engine.defineWorkflow({
  name: 'shape',
  project: 'bench',
  stages: Array.from({ length: STAGES }, (_, s) => ({
    name: `stage-${s}`,
    parallel: true,
    jobs: Array.from({ length: JOBS }, (_, j) => ({ name: jobName(s, j), type: 'freestyle', spec: { script: '' } })),
  })),
});
const address = await engine.app.listen({ host: '127.0.0.1', port: 0 });

/** When each run was asked for (wall clock, to compare with history timestamps). */
const requestedAt = new Map<string, number>();

async function stagecoachRun(): Promise<{ ms: number; runId: string }> {
  const wallStart = Date.now();
  const started = performance.now();
  const res = await post(
    `${address}/api/v1/projects/bench/workflows/shape/runs`,
    { authorization: `Bearer ${ADMIN_TOKEN}`, 'x-user': 'bench', 'content-type': 'application/json' },
    '{}',
  );
  if (res.status !== 201) throw new Error(`start failed: ${res.status} ${res.body}`);
  const { run_id: runId } = JSON.parse(res.body) as { run_id: string };
  requestedAt.set(runId, wallStart);
  const result = (await engine.temporal.workflow.getHandle(runId).result()) as { status: string };
  if (result.status !== 'passed') throw new Error(`run ${runId} ended ${result.status}`);
  return { ms: performance.now() - started, runId };
}

let bareCount = 0;
const bareIds: string[] = [];
async function bareRunOnce(): Promise<number> {
  const id = `bench-bare/${++bareCount}`;
  const jobs: JobActivityInput[][] = Array.from({ length: STAGES }, (_, s) =>
    Array.from({ length: JOBS }, (_, j) => ({
      runId: id,
      project: 'bench',
      workflow: 'bare',
      runNumber: bareCount,
      retryNum: 0,
      job: jobName(s, j),
      jobType: 'freestyle' as const,
      spec: { script: '' },
      env: {},
      secretParams: [],
      // The same activity does the same publishing work on both sides.
      startEvents: [],
      passedEvent: {
        runId: id,
        seq: s * JOBS + j + 1,
        retryNum: 0,
        project: 'bench',
        workflow: 'bare',
        runNumber: bareCount,
        kind: 'job' as const,
        job: jobName(s, j),
        status: 'passed' as const,
        time: 0,
      },
    })),
  );
  bareIds.push(id);
  requestedAt.set(id, Date.now());
  const started = performance.now();
  await engine.temporal.workflow.execute<typeof bareShapeWorkflow>('bareShapeWorkflow', {
    taskQueue: bareQueue,
    workflowId: id,
    args: [jobs],
  });
  return performance.now() - started;
}

/**
 * Per stage boundary, from the server's history timestamps: last job of stage k completed -> first job
 * of stage k+1 started (`started`), and -> scheduled (`scheduled`: the engine's decision alone, without
 * the dispatch to a polling worker).
 */
interface RunTimings {
  started: number[];
  scheduled: number[];
  /** per stage: its first job started -> its last job completed */
  stageWork: number[];
  /** the workflow's first history event -> its last */
  span: number;
  admission: number | undefined;
  startUp: number;
  windDown: number;
  /** the worker's share: every workflow task's started -> completed, summed */
  workflowTasks: number;
}

async function handoffs(runId: string): Promise<RunTimings> {
  const history = await engine.temporal.workflow.getHandle(runId).fetchHistory();
  const stageOf = new Map<number, number>();
  const completed: number[][] = Array.from({ length: STAGES }, () => []);
  const started: number[][] = Array.from({ length: STAGES }, () => []);
  const scheduledAt: number[][] = Array.from({ length: STAGES }, () => []);
  const ms = (t: unknown) => {
    const ts = t as { seconds?: { toNumber(): number } | number; nanos?: number };
    return Number(typeof ts.seconds === 'object' ? ts.seconds!.toNumber() : ts.seconds) * 1000 + (ts.nanos ?? 0) / 1e6;
  };
  for (const event of history.events ?? []) {
    const job = scheduledJob(event);
    if (job) {
      const stage = Number(job.job.slice(1, job.job.indexOf('-')));
      stageOf.set(Number(event.eventId), stage);
      scheduledAt[stage]!.push(ms(event.eventTime));
    }
    const start = event.activityTaskStartedEventAttributes;
    if (start && stageOf.has(Number(start.scheduledEventId)))
      started[stageOf.get(Number(start.scheduledEventId))!]!.push(ms(event.eventTime));
    const done = event.activityTaskCompletedEventAttributes;
    if (done && stageOf.has(Number(done.scheduledEventId)))
      completed[stageOf.get(Number(done.scheduledEventId))!]!.push(ms(event.eventTime));
  }
  const events = history.events ?? [];
  const timeOf = new Map(events.map((e) => [Number(e.eventId), ms(e.eventTime)]));
  let workflowTasks = 0;
  for (const event of events) {
    const done = event.workflowTaskCompletedEventAttributes;
    if (done) workflowTasks += ms(event.eventTime) - timeOf.get(Number(done.startedEventId))!;
  }
  const first = ms(events[0]!.eventTime);
  const last = ms(events.at(-1)!.eventTime);
  const boundaries = Array.from({ length: STAGES - 1 }, (_, k) => k);
  return {
    started: boundaries.map((k) => Math.min(...started[k + 1]!) - Math.max(...completed[k]!)),
    scheduled: boundaries.map((k) => Math.min(...scheduledAt[k + 1]!) - Math.max(...completed[k]!)),
    stageWork: completed.map((times, k) => Math.max(...times) - Math.min(...started[k]!)),
    span: last - first,
    // Where a run's time goes besides its hand-offs: before the workflow exists (the request),
    // from its start to the first job, and from the last job to its end.
    admission: requestedAt.has(runId) ? first - requestedAt.get(runId)! : undefined,
    startUp: Math.min(...scheduledAt[0]!) - first,
    windDown: last - Math.max(...completed[STAGES - 1]!),
    workflowTasks,
  };
}

for (let i = 0; i < WARMUP; i++) {
  await stagecoachRun();
  await bareRunOnce();
}
const ours: number[] = [];
const bare: number[] = [];
const runIds: string[] = [];
for (let i = 0; i < RUNS; i++) {
  // Alternate which goes first so neither side always runs on a warmer system.
  const order = i % 2 === 0 ? ['ours', 'bare'] : ['bare', 'ours'];
  for (const side of order) {
    if (side === 'ours') {
      const { ms, runId } = await stagecoachRun();
      ours.push(ms);
      runIds.push(runId);
    } else {
      bare.push(await bareRunOnce());
    }
  }
}
const ourHandoffs = await Promise.all(runIds.map(handoffs));
const bareHandoffs = await Promise.all(bareIds.slice(WARMUP).map(handoffs));
const handoff = ourHandoffs.flatMap((h) => h.started);
const decision = ourHandoffs.flatMap((h) => h.scheduled);
const bareHandoff = bareHandoffs.flatMap((h) => h.started);
const bareDecision = bareHandoffs.flatMap((h) => h.scheduled);

const fmt = (n: number) => n.toFixed(2);
console.log(`runs: ${RUNS} each (${STAGES} stages x ${JOBS} parallel no-op jobs)`);
console.log(`stagecoach p50: ${fmt(percentile(ours, 50))} ms`);
console.log(`stagecoach p99: ${fmt(percentile(ours, 99))} ms`);
console.log(`bare temporal p50: ${fmt(percentile(bare, 50))} ms`);
console.log(`bare temporal p99: ${fmt(percentile(bare, 99))} ms`);
console.log(`median ratio: ${(percentile(ours, 50) / percentile(bare, 50)).toFixed(3)}`);
console.log(`p99 ratio: ${(percentile(ours, 99) / percentile(bare, 99)).toFixed(3)}`);
console.log(`handoff p50: ${fmt(percentile(handoff, 50))} ms`);
console.log(`handoff p99: ${fmt(percentile(handoff, 99))} ms`);
console.log(`bare handoff p50: ${fmt(percentile(bareHandoff, 50))} ms`);
console.log(`bare handoff p99: ${fmt(percentile(bareHandoff, 99))} ms`);
console.log(`handoff to scheduled p50: ${fmt(percentile(decision, 50))} ms`);
console.log(`handoff to scheduled p99: ${fmt(percentile(decision, 99))} ms`);
console.log(`bare handoff to scheduled p50: ${fmt(percentile(bareDecision, 50))} ms`);
console.log(`bare handoff to scheduled p99: ${fmt(percentile(bareDecision, 99))} ms`);
const p50 = (values: number[]) => fmt(percentile(values, 50));
console.log(`request to workflow start p50: ${p50(ourHandoffs.flatMap((h) => h.admission ?? []))} ms`);
console.log(`bare start call to workflow start p50: ${p50(bareHandoffs.flatMap((h) => h.admission ?? []))} ms`);
console.log(`workflow start to first job p50: ${p50(ourHandoffs.map((h) => h.startUp))} ms`);
console.log(`bare workflow start to first job p50: ${p50(bareHandoffs.map((h) => h.startUp))} ms`);
console.log(`last job to workflow end p50: ${p50(ourHandoffs.map((h) => h.windDown))} ms`);
console.log(`bare last job to workflow end p50: ${p50(bareHandoffs.map((h) => h.windDown))} ms`);
console.log(`stage work p50: ${p50(ourHandoffs.flatMap((h) => h.stageWork))} ms`);
console.log(`bare stage work p50: ${p50(bareHandoffs.flatMap((h) => h.stageWork))} ms`);
console.log(`workflow task time per run p50: ${p50(ourHandoffs.map((h) => h.workflowTasks))} ms`);
console.log(`bare workflow task time per run p50: ${p50(bareHandoffs.map((h) => h.workflowTasks))} ms`);
console.log(`workflow start to end p50: ${p50(ourHandoffs.map((h) => h.span))} ms`);
console.log(`bare workflow start to end p50: ${p50(bareHandoffs.map((h) => h.span))} ms`);

const exited = (child: ChildProcess) => new Promise((resolve) => child.once('exit', resolve));
const services = [worker, notifier, bareWorker];
for (const child of services) child.kill('SIGTERM');
await Promise.all(services.map(exited));
await engine.stop();
await stack.stop();
