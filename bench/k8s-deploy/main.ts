// npm run bench:k8s-deploy — a `custom-deploy` job rolling a new image out on a 10-replica Deployment
// of the local control plane (etcd, kube-apiserver, controller-manager, scheduler, kwok nodes), against
// `kubectl rollout status` on the same rollout. Stagecoach: the job activity's start → its completion, from
// Temporal history (reading the Deployment, setting the image, and the wait). kubectl: spawned the moment
// the new generation appears (so it cannot exit on the old, finished rollout) → its exit. Ratio per run,
// median and p90 over the runs.
import { spawn } from 'node:child_process';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { Watch, type V1Deployment } from '@kubernetes/client-node';
import { startLocalCluster } from '@stagecoach/stack';
import { deployApp, Engine, startTestStack, testKubeClients, testNamespace } from '@stagecoach/testkit';
import { percentile } from '../lib/stats.js';

const ROLLOUTS = Number(process.env.BENCH_K8S_ROLLOUTS ?? 20);
const REPLICAS = 10;

Runtime.install({ logger: new DefaultLogger('ERROR') });
const stack = await startTestStack({ temporal: true });
Object.assign(process.env, stack.env);
const cluster = await startLocalCluster({ nodes: 3 });
process.env.KUBECONFIG = cluster.kubeconfigPath;
const stopAll = async () => {
  await cluster.stop();
  await stack.stop();
};
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => void stopAll().then(() => process.exit(130)));

process.stderr.write('control plane up; starting the engine ...\n');
const engine = await Engine.start({ inProcessWorker: false });
const worker = engine.spawnService('worker');
const clients = testKubeClients();
const ns = await testNamespace(clients, 'bench');
await deployApp(clients, ns, 'web', { replicas: REPLICAS });
await engine.defineWorkflow({
  name: 'rollout',
  project: 'bench',
  params: [{ name: 'image', type: 'string', value: 'registry.local/app:v1' }],
  stages: [
    {
      name: 'deploy',
      jobs: [
        {
          name: 'deploy',
          type: 'custom-deploy',
          spec: { namespace: ns, targets: [{ target: 'Deployment/web/app', image: '{{.workflow.params.image}}' }] },
        },
      ],
    },
  ],
});

/** Spawns `kubectl rollout status` the moment a watch sees the Deployment's generation move past `from`. */
function kubectlOnNextGeneration(from: number): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let spawned = false;
    const watch = new Watch(clients.kc).watch(
      `/apis/apps/v1/namespaces/${ns}/deployments`,
      { fieldSelector: 'metadata.name=web' },
      (_phase, d: V1Deployment) => {
        if (spawned || (d.metadata?.generation ?? 0) <= from) return;
        spawned = true;
        const t0 = performance.now();
        const child = spawn(
          cluster.binaries.kubectl,
          ['--kubeconfig', cluster.kubeconfigPath, '-n', ns, 'rollout', 'status', 'deployment/web', '--timeout=120s'],
          { stdio: 'ignore' },
        );
        child.on('exit', (code) => {
          void watch.then((c) => c.abort());
          if (code === 0) resolve(performance.now() - t0);
          else reject(new Error(`kubectl exited ${code}`));
        });
      },
      (err) => {
        if (!spawned) reject(new Error(`the watch ended before the rollout began: ${String(err)}`));
      },
    );
  });
}

/** The job activity's start and completion, from the run's Temporal history. */
async function jobActivityMs(runNumber: number): Promise<number> {
  const handle = engine.temporal.workflow.getHandle(`bench/rollout/${runNumber}`);
  const result = (await handle.result()) as { status: string; error?: string };
  if (result.status !== 'passed') throw new Error(`run ${runNumber} ended ${result.status}: ${result.error ?? ''}`);
  const history = await handle.fetchHistory();
  const ms = (t: unknown) => {
    const time = t as { seconds: { toNumber(): number } | number; nanos: number };
    const seconds = typeof time.seconds === 'object' ? time.seconds.toNumber() : Number(time.seconds);
    return seconds * 1000 + time.nanos / 1e6;
  };
  let started: number | undefined;
  for (const event of history.events ?? []) {
    if (event.activityTaskStartedEventAttributes && started === undefined) started = ms(event.eventTime);
    if (event.activityTaskCompletedEventAttributes && started !== undefined) return ms(event.eventTime) - started;
  }
  throw new Error(`run ${runNumber}: no completed job activity`);
}

const ours: number[] = [];
const theirs: number[] = [];
const ratios: number[] = [];
try {
  for (let i = 0; i <= ROLLOUTS; i++) {
    const generation = (await clients.apps.readNamespacedDeployment({ name: 'web', namespace: ns })).metadata!
      .generation!;
    // Settled into a value at once: a failure is thrown below, never left unhandled while the run starts.
    const kubectl = kubectlOnNextGeneration(generation).catch((err: Error) => err);
    // The watch's first event (the current state) arrives before the job changes anything.
    await new Promise((r) => setTimeout(r, 100));
    const n = await engine.startRun('bench', 'rollout', { params: { image: `registry.local/app:v${i + 2}` } });
    const [stagecoachMs, kubectlMs] = await Promise.all([jobActivityMs(n), kubectl]);
    if (kubectlMs instanceof Error) throw kubectlMs;
    process.stderr.write(
      `rollout ${i}: stagecoach ${stagecoachMs.toFixed(0)} ms, kubectl ${kubectlMs.toFixed(0)} ms\n`,
    );
    if (i === 0) continue; // warm-up: first worker task, first watch connections
    ours.push(stagecoachMs);
    theirs.push(kubectlMs);
    ratios.push(stagecoachMs / kubectlMs);
  }
  const fmt = (xs: number[], p: number) => `${percentile(xs, p).toFixed(0)} ms`;
  console.log(`rollouts of a ${REPLICAS}-replica Deployment: ${ROLLOUTS}`);
  console.log(`stagecoach custom-deploy job: p50 ${fmt(ours, 50)}, p90 ${fmt(ours, 90)}`);
  console.log(`kubectl rollout status:       p50 ${fmt(theirs, 50)}, p90 ${fmt(theirs, 90)}`);
  console.log(
    `ratio stagecoach/kubectl: median ${percentile(ratios, 50).toFixed(3)}, p90 ${percentile(ratios, 90).toFixed(3)} (target ≤ 1.1)`,
  );
} finally {
  worker.kill('SIGTERM');
  await engine.stop();
  await stopAll();
}
