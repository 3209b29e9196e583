import { readFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CANARY_SUFFIX, STRATEGIC_MERGE_PATCH, type KubeClients } from '@stagecoach/kube';
import { clusterState, deployApp, Engine, job, testKubeClients, testNamespace } from '@stagecoach/testkit';

let engine: Engine;
let clients: KubeClients;
const workers: ChildProcess[] = [];

beforeAll(async () => {
  engine = await Engine.start({ inProcessWorker: false });
  clients = testKubeClients();
  workers.push(engine.spawnService('worker'));
});
afterAll(async () => {
  for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
  await engine?.stop();
});

const canaryStages = (ns: string, cluster = '') => [
  {
    name: 'canary',
    jobs: [
      {
        name: 'canary',
        type: 'k8s-canary-deploy',
        spec: {
          cluster_id: cluster,
          namespace: ns,
          targets: [
            {
              k8s_service_name: 'web',
              container_name: 'app',
              image: '{{.workflow.params.image}}',
              canary_percentage: 50,
            },
          ],
        },
      },
    ],
  },
  {
    name: 'check',
    jobs: [{ name: 'check', type: 'freestyle', spec: { script: 'test "{{.workflow.params.verdict}}" = good' } }],
  },
  { name: 'release', jobs: [{ name: 'release', type: 'k8s-canary-release', spec: { from_job: 'canary' } }] },
];
/**
 * kwok fails pods carrying its chaos label a second or two after they run: with the label in the template
 * and minReadySeconds longer than that, no new pod becomes available and the rollout cannot finish.
 */
async function failNewPods(namespace: string, fail: boolean): Promise<void> {
  const labels = { 'pod-container-running-failed.stage.kwok.x-k8s.io': fail ? 'true' : null };
  await clients.apps.patchNamespacedDeployment(
    { name: 'web', namespace, body: { spec: { minReadySeconds: fail ? 30 : 0, template: { metadata: { labels } } } } },
    STRATEGIC_MERGE_PATCH,
  );
}

const params = [
  { name: 'image', type: 'string', value: 'registry.local/app:v2' },
  { name: 'verdict', type: 'string', value: 'good' },
];

describe('deploy and release jobs in a run', () => {
  it('canary → check → release: the new image is out and the canary is gone', async () => {
    const ns = await testNamespace(clients, 'e2e');
    await deployApp(clients, ns, 'web', { replicas: 2 });
    await engine.defineWorkflow({ name: 'canary-ok', project: 'k8s', params, stages: canaryStages(ns) });
    const n = await engine.startRun('k8s', 'canary-ok');
    const run = await engine.waitForStatus('k8s', 'canary-ok', n, ['passed', 'failed', 'cancelled'], 120_000);
    expect(run.status).toBe('passed');
    const web = await clients.apps.readNamespacedDeployment({ name: 'web', namespace: ns });
    expect(web.spec!.template.spec!.containers[0]!.image).toBe('registry.local/app:v2');
    const list = await clients.apps.listNamespacedDeployment({ namespace: ns });
    expect(list.items.map((d) => d.metadata!.name)).toEqual(['web']);
    const log = await engine.api('GET', `/api/v1/projects/k8s/workflows/canary-ok/runs/${n}/jobs/canary/logs`);
    expect(log.text).toContain(`web${CANARY_SUFFIX}: created with 1 replica(s) of registry.local/app:v2`);
  });

  it('a run that fails between canary deploy and release leaves the cluster as it was', async () => {
    const ns = await testNamespace(clients, 'e2e');
    await deployApp(clients, ns, 'web', { replicas: 2 });
    const before = await clusterState(clients, ns);
    await engine.defineWorkflow({ name: 'canary-bad', project: 'k8s', params, stages: canaryStages(ns) });
    const n = await engine.startRun('k8s', 'canary-bad', { params: { verdict: 'bad' } });
    const run = await engine.waitForStatus('k8s', 'canary-bad', n, ['passed', 'failed', 'cancelled'], 120_000);
    expect(run.status).toBe('failed');
    expect(run.error).toBeNull();
    expect(job(run, 'release').status).not.toBe('passed');
    expect(await clusterState(clients, ns)).toEqual(before);
  });

  it('cancelling a run between canary deploy and release compensates', async () => {
    const ns = await testNamespace(clients, 'e2e');
    await deployApp(clients, ns, 'web', { replicas: 2 });
    const before = await clusterState(clients, ns);
    await engine.defineWorkflow({
      name: 'canary-cancel',
      project: 'k8s',
      params,
      stages: [
        canaryStages(ns)[0]!,
        {
          name: 'approve',
          jobs: [
            { name: 'approve', type: 'approval', spec: { native_approval: { approve_users: [{ user_name: 'bob' }] } } },
          ],
        },
        canaryStages(ns)[2]!,
      ],
    });
    const n = await engine.startRun('k8s', 'canary-cancel');
    await engine.waitForRun(
      'k8s',
      'canary-cancel',
      n,
      (r) => job(r, 'approve').status === 'wait_for_approval',
      120_000,
    );
    expect((await clusterState(clients, ns)).deployments.map((d) => d.name)).toEqual(['web', `web${CANARY_SUFFIX}`]);
    const cancelled = await engine.api('POST', `/api/v1/projects/k8s/workflows/canary-cancel/runs/${n}/cancel`);
    expect(cancelled.status).toBeLessThan(300);
    const run = await engine.waitForStatus('k8s', 'canary-cancel', n, ['cancelled'], 60_000);
    expect(run.status).toBe('cancelled');
    expect(await clusterState(clients, ns)).toEqual(before);
  });

  it('cancelling a run while a job waits on a rollout stops the wait at once', async () => {
    const ns = await testNamespace(clients, 'e2e');
    await deployApp(clients, ns, 'web', { replicas: 1 });
    await failNewPods(ns, true);
    await engine.defineWorkflow({
      name: 'cancel-wait',
      project: 'k8s',
      stages: [
        {
          name: 'deploy',
          jobs: [
            {
              name: 'deploy',
              type: 'custom-deploy',
              spec: { namespace: ns, targets: [{ target: 'Deployment/web/app', image: 'registry.local/app:v5' }] },
            },
          ],
        },
      ],
    });
    const n = await engine.startRun('k8s', 'cancel-wait');
    await engine.waitForRun('k8s', 'cancel-wait', n, (r) => job(r, 'deploy').status === 'running', 60_000);
    await new Promise((r) => setTimeout(r, 1_000));
    const asked = Date.now();
    await engine.api('POST', `/api/v1/projects/k8s/workflows/cancel-wait/runs/${n}/cancel`);
    const run = await engine.waitForStatus('k8s', 'cancel-wait', n, ['cancelled'], 30_000);
    expect(job(run, 'deploy').status).toBe('cancelled');
    // Not the 10-minute deploy timeout: the wait ended with the cancel (a heartbeat round, ~1 s).
    expect(Date.now() - asked).toBeLessThan(10_000);
  });

  it('a job on a registered cluster reaches it through its sealed kubeconfig; bad registrations get 400', async () => {
    const kubeconfig = readFileSync(process.env.KUBECONFIG!, 'utf8');
    const bad = await engine.api('POST', '/api/v1/clusters', {
      id: 'broken',
      name: 'Broken',
      kubeconfig: 'not: [a kubeconfig',
    });
    expect(bad.status).toBe(400);
    expect(bad.text).not.toContain('not: [a kubeconfig');
    const neither = await engine.api('POST', '/api/v1/clusters', { id: 'empty', name: 'Empty' });
    expect(neither.status).toBe(400);
    expect(neither.body.issues[0].message).toMatch(/kubeconfig, or server and token/);
    const created = await engine.api('POST', '/api/v1/clusters', { id: 'staging', name: 'Staging', kubeconfig });
    expect(created.status).toBe(201);
    expect(JSON.stringify(created.body)).not.toContain('token');
    expect(created.body.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const listed = await engine.api('GET', '/api/v1/clusters');
    expect(listed.body.clusters.map((c: { id: string }) => c.id)).toContain('staging');
    expect(listed.text).not.toContain(kubeconfig.slice(0, 40));
    const anonymous = await engine.api('GET', '/api/v1/clusters', undefined, { token: null });
    expect(anonymous.status).toBe(401);

    const ns = await testNamespace(clients, 'e2e');
    await deployApp(clients, ns, 'web', { replicas: 1 });
    await engine.defineWorkflow({
      name: 'remote',
      project: 'k8s',
      stages: [
        {
          name: 'deploy',
          jobs: [
            {
              name: 'deploy',
              type: 'custom-deploy',
              spec: {
                cluster_id: 'staging',
                namespace: ns,
                targets: [{ target: 'Deployment/web/app', image: 'registry.local/app:v7' }],
              },
            },
          ],
        },
      ],
    });
    const n = await engine.startRun('k8s', 'remote');
    const run = await engine.waitForStatus('k8s', 'remote', n, ['passed', 'failed'], 120_000);
    expect(run.status).toBe('passed');
    const web = await clients.apps.readNamespacedDeployment({ name: 'web', namespace: ns });
    expect(web.spec!.template.spec!.containers[0]!.image).toBe('registry.local/app:v7');

    await engine.defineWorkflow({
      name: 'nowhere',
      project: 'k8s',
      stages: [
        {
          name: 'deploy',
          jobs: [
            {
              name: 'deploy',
              type: 'custom-deploy',
              spec: { cluster_id: 'ghost', namespace: ns, targets: [{ target: 'Deployment/web/app', image: 'x' }] },
            },
          ],
        },
      ],
    });
    const m = await engine.startRun('k8s', 'nowhere');
    const failed = await engine.waitForStatus('k8s', 'nowhere', m, ['passed', 'failed'], 60_000);
    expect(failed.status).toBe('failed');
    expect(job(failed, 'deploy').error).toMatch(/cluster "ghost" is not registered/);
  });

  it('a worker killed mid-wait: the next worker resumes the job without repeating finished steps', async () => {
    const ns = await testNamespace(clients, 'e2e');
    await deployApp(clients, ns, 'web', { replicas: 2 });
    await engine.defineWorkflow({
      name: 'resume',
      project: 'k8s',
      stages: [
        {
          name: 'deploy',
          jobs: [
            {
              name: 'deploy',
              type: 'custom-deploy',
              spec: {
                namespace: ns,
                targets: [{ target: 'Deployment/web/app', image: 'registry.local/app:v2' }],
              },
            },
          ],
        },
      ],
    });
    // Pods of the new template fail until the label is taken away: the job waits on the rollout.
    await failNewPods(ns, true);
    const n = await engine.startRun('k8s', 'resume');
    await engine.waitForRun('k8s', 'resume', n, (r) => job(r, 'deploy').status === 'running', 60_000);
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const d = await clients.apps.readNamespacedDeployment({ name: 'web', namespace: ns });
      if (d.spec!.template.spec!.containers[0]!.image === 'registry.local/app:v2') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 1_500));
    workers[0]!.kill('SIGKILL');
    await new Promise((r) => workers[0]!.once('exit', r));
    workers.push(engine.spawnService('worker'));
    // Let the rollout succeed: the resumed wait sees it through.
    await failNewPods(ns, false);
    const run = await engine.waitForStatus('k8s', 'resume', n, ['passed', 'failed'], 120_000);
    expect(run.status).toBe('passed');
    const log = await engine.api('GET', `/api/v1/projects/k8s/workflows/resume/runs/${n}/jobs/deploy/logs`);
    expect(log.text.match(/container app → registry.local\/app:v2/g)).toHaveLength(1);
    expect(log.text).toContain('done by an earlier attempt');
  });
});
