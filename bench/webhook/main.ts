// npm run bench:webhook — webhook ingress. (1) Signed GitHub pushes at a steady rate: delivery sent
// → first job started (the job activity's start in Temporal history, same machine clock), p50/p99.
// (2) 1,000 deliveries each sent three times, shuffled and concurrent: ingest requests per second
// and how many runs they started (exactly 1,000 is the only right answer).
import { createHmac } from 'node:crypto';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { Engine, startTestStack } from '@stagecoach/testkit';
import { percentile } from '../lib/stats.js';

const RATE_PER_SECOND = Number(process.env.BENCH_WEBHOOK_RATE ?? 10);
const LATENCY_DELIVERIES = Number(process.env.BENCH_WEBHOOK_DELIVERIES ?? 200);
const UNIQUE_DELIVERIES = Number(process.env.BENCH_WEBHOOK_UNIQUE ?? 1000);
const COPIES = 3;
const CONCURRENCY = 24;
const SECRET = 'bench-webhook-secret';

Runtime.install({ logger: new DefaultLogger('ERROR') });
const stack = await startTestStack({ temporal: true });
Object.assign(process.env, stack.env);
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => void stack.stop().then(() => process.exit(130)));
// Gateway and trigger service in this process, the worker in its own, as deployed: the runs the
// deliveries start must not share an event loop with the ingress being measured.
const engine = await Engine.start({ inProcessWorker: false });
const worker = engine.spawnService('worker');
const hooks = await engine.hooks.listen({ host: '127.0.0.1', port: 0 });

async function defineHooked(name: string): Promise<void> {
  await engine.defineWorkflow({
    name,
    project: 'bench',
    stages: [{ name: 'build', jobs: [{ name: 'build', type: 'freestyle', spec: { script: '' } }] }],
  });
  const res = await engine.api('POST', `/api/v1/projects/bench/workflows/${name}/triggers/git`, {
    name: 'push',
    secret: SECRET,
    main_repo: { source: 'github', repo_owner: 'bench', repo_name: name, branch: 'main', events: ['push'] },
  });
  if (res.status !== 201) throw new Error(`trigger: ${res.status} ${res.text}`);
}

function push(repo: string, i: number): { body: string; headers: Record<string, string> } {
  const sha = i.toString(16).padStart(40, '0');
  const body = JSON.stringify({
    ref: 'refs/heads/main',
    after: sha,
    repository: { name: repo, owner: { login: 'bench' } },
    head_commit: { id: sha, message: `commit ${i}`, committer: { username: 'bench' } },
    commits: [{ id: sha, added: [], modified: ['src/main.ts'], removed: [] }],
  });
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-github-delivery': `${repo}-${i}`,
      'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`,
    },
  };
}

async function send(d: { body: string; headers: Record<string, string> }): Promise<{ run_number: number | null }> {
  const res = await fetch(`${hooks}/hooks/github`, { method: 'POST', headers: d.headers, body: d.body });
  if (res.status !== 200) throw new Error(`delivery: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { results: { run_number: number | null }[] }).results[0]!;
}

/** When the run's first job started, from the server's history. */
async function firstJobStarted(runNumber: number, workflow: string): Promise<number> {
  const handle = engine.temporal.workflow.getHandle(`bench/${workflow}/${runNumber}`);
  await handle.result();
  const history = await handle.fetchHistory();
  for (const event of history.events ?? []) {
    if (event.activityTaskStartedEventAttributes) {
      const t = event.eventTime as { seconds: { toNumber(): number } | number; nanos: number };
      const seconds = typeof t.seconds === 'object' ? t.seconds.toNumber() : Number(t.seconds);
      return seconds * 1000 + t.nanos / 1e6;
    }
  }
  throw new Error(`run ${runNumber} started no job`);
}

// (1) Latency at a steady rate.
await defineHooked('latency');
// Warm-up, which also waits for the worker process to have bundled its workflows and started polling.
for (let i = 0; i < 5; i++) await firstJobStarted((await send(push('latency', 1_000_000 + i))).run_number!, 'latency');
const sent: { at: number; run: Promise<{ run_number: number | null }> }[] = [];
const interval = 1000 / RATE_PER_SECOND;
const begin = Date.now();
for (let i = 0; i < LATENCY_DELIVERIES; i++) {
  const due = begin + i * interval;
  if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
  const at = Date.now();
  sent.push({ at, run: send(push('latency', i)) });
}
const latencies = await Promise.all(
  sent.map(async ({ at, run }) => (await firstJobStarted((await run).run_number!, 'latency')) - at),
);

// (2) Duplicates at full speed.
await defineHooked('dupes');
const deliveries = Array.from({ length: UNIQUE_DELIVERIES }, (_, i) => push('dupes', i));
const copies = deliveries.flatMap((d) => Array.from({ length: COPIES }, () => d));
for (let i = copies.length - 1; i > 0; i--) {
  const j = Math.floor(Math.random() * (i + 1));
  [copies[i], copies[j]] = [copies[j]!, copies[i]!];
}
let next = 0;
const ingestStart = performance.now();
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    while (next < copies.length) await send(copies[next++]!);
  }),
);
const ingestSeconds = (performance.now() - ingestStart) / 1000;
const total = async (query = '') =>
  (await engine.api('GET', `/api/v1/projects/bench/workflows/dupes/runs?page_size=1${query}`)).body.total as number;
const started = await total();
// Let every run finish before stopping the worker; the count of passed runs is the second check.
const deadline = Date.now() + 15 * 60_000;
while ((await total('&status=passed')) < started && Date.now() < deadline)
  await new Promise((r) => setTimeout(r, 1000));
const passed = await total('&status=passed');

console.log(`deliveries at ${RATE_PER_SECOND}/s: ${LATENCY_DELIVERIES}`);
console.log(`delivery to first job started p50: ${percentile(latencies, 50).toFixed(1)} ms`);
console.log(`delivery to first job started p99: ${percentile(latencies, 99).toFixed(1)} ms`);
console.log(`ingest requests per second: ${(copies.length / ingestSeconds).toFixed(0)}`);
console.log(`deliveries sent: ${copies.length} (${UNIQUE_DELIVERIES} unique x ${COPIES})`);
console.log(`runs started: ${started}`);
console.log(`runs passed: ${passed}`);

worker.kill('SIGTERM');
await new Promise((r) => worker.once('exit', r));
await engine.stop();
await stack.stop();
