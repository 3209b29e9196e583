// npm run bench:notify — run event → channel POST. 1,000 runs of a one-job workflow with a webhook
// notify ctl on `passed`, started at a steady rate, with the NATS server stopped and started again
// halfway (a plain restart; BENCH_NOTIFY_OUTAGE_MS holds it down that long in between). Latency: the run's end (its `passed` event time, as projected) to the POST reaching a
// local endpoint, same machine clock. Then: how many events were missing or delivered twice.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { startNotifier } from '@stagecoach/notifier';
import { createLogger, SecretBox } from '@stagecoach/platform';
import { startNats } from '@stagecoach/stack';
import { Engine, SECRET_KEY, startTestStack } from '@stagecoach/testkit';
import { percentile } from '../lib/stats.js';

const RUNS = Number(process.env.BENCH_NOTIFY_RUNS ?? 1000);
const RATE_PER_SECOND = Number(process.env.BENCH_NOTIFY_RATE ?? 5);
const OUTAGE_MS = Number(process.env.BENCH_NOTIFY_OUTAGE_MS ?? 0);

Runtime.install({ logger: new DefaultLogger('ERROR') });
const stack = await startTestStack({ temporal: true });
Object.assign(process.env, stack.env);
const storeDir = mkdtempSync(join(tmpdir(), 'sc-bench-nats-'));
let nats = await startNats({ storeDir });
// Everything in this benchmark talks to its own NATS server, the one it restarts.
process.env.NATS_URL = nats.url;
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => void Promise.all([stack.stop(), nats.process.stop()]).then(() => process.exit(130)));

/** POST arrival times per run number (event ids are `<project>/<workflow>/<n>:<retry>:<seq>`). */
const arrivals = new Map<number, number[]>();
const endpoint = createServer((req, res) => {
  const at = Date.now();
  req.resume();
  req.on('end', () => {
    const runNumber = Number(/\/(\d+):/.exec(String(req.headers['x-stagecoach-event-id']))?.[1]);
    arrivals.set(runNumber, [...(arrivals.get(runNumber) ?? []), at]);
    res.writeHead(200).end('{}');
  });
});
await new Promise<void>((r) => endpoint.listen(0, '127.0.0.1', r));

const engine = await Engine.start({ inProcessWorker: false });
const worker = engine.spawnService('worker');
const notifier = await startNotifier({
  nc: engine.nc,
  db: engine.dbHandle.db,
  names: engine.names,
  logger: createLogger({ name: 'bench-notifier', level: 'silent' }),
  publicUrl: 'http://stagecoach.test',
  box: new SecretBox(SECRET_KEY),
});
await engine.defineWorkflow({
  name: 'ping',
  project: 'bench',
  notify_ctls: [
    {
      webhook_type: 'webhook',
      notify_type: ['passed'],
      webhook_notification_config: { address: `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/hook` },
    },
  ],
  stages: [{ name: 's', jobs: [{ name: 'j', type: 'freestyle', spec: { script: '' } }] }],
});

async function until(what: string, done: () => boolean, timeoutMs = 15 * 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
// Warm-up (run 1): the worker process bundles its workflows before it polls.
await engine.startRun('bench', 'ping');
await until('the warm-up run', () => arrivals.size === 1);

let outage = { from: 0, to: 0 };
const begin = Date.now();
for (let i = 0; i < RUNS; i++) {
  const due = begin + (i * 1000) / RATE_PER_SECOND;
  if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
  await engine.startRun('bench', 'ping');
  if (i === Math.floor(RUNS / 2)) {
    const from = Date.now();
    await nats.process.stop();
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    nats = await startNats({ storeDir, port: nats.port });
    outage = { from, to: Date.now() };
  }
}
await until('every notification', () => arrivals.size >= RUNS + 1);
// A redelivery, if there were one, would come within the consumer's ack wait: give it a moment.
await new Promise((r) => setTimeout(r, 5000));

const ends = await engine.dbHandle.db.execute<{ run_number: number; end_ms: string }>(
  sql`SELECT run_number, (extract(epoch from end_time) * 1000)::bigint AS end_ms
      FROM runs WHERE project = 'bench' AND workflow = 'ping' AND run_number > 1`,
);
const latencies: number[] = [];
const outsideRestart: number[] = [];
for (const row of ends.rows) {
  const first = arrivals.get(Number(row.run_number))?.[0];
  if (first === undefined) continue;
  const end = Number(row.end_ms);
  latencies.push(first - end);
  // Events of runs that ended while NATS was down, or just after, waited for it by design.
  if (end < outage.from || end > outage.to + 1000) outsideRestart.push(first - end);
}
const missing = RUNS + 1 - arrivals.size;
const duplicated = [...arrivals.values()].filter((a) => a.length > 1).length;

console.log(`runs: ${RUNS} at ${RATE_PER_SECOND}/s; NATS down ${outage.to - outage.from} ms halfway`);
console.log(`event to post p50: ${percentile(latencies, 50).toFixed(1)} ms`);
console.log(`event to post p99: ${percentile(latencies, 99).toFixed(1)} ms`);
console.log(`event to post p99 outside the restart: ${percentile(outsideRestart, 99).toFixed(1)} ms`);
console.log(`missing: ${missing}`);
console.log(`duplicated: ${duplicated}`);

await notifier.stop();
worker.kill('SIGTERM');
await new Promise((r) => worker.once('exit', r));
await engine.stop();
endpoint.close();
await nats.process.stop();
rmSync(storeDir, { recursive: true, force: true });
await stack.stop();
