import { beforeAll, describe, expect, it } from 'vitest';
import { deployApp, testJobContext, testKubeClients, testNamespace } from '@stagecoach/testkit';
import { STRATEGIC_MERGE_PATCH, type KubeClients } from '../client.js';
import { WaitTimeoutError } from '../wait.js';
import { runCustomDeploy } from './custom-deploy.js';
import { runUpdateEnvIstioConfig } from './env-istio-config.js';
import { readIstio } from '../istio-objects.js';
import { runOfflineService } from './offline-service.js';
import { runResourcePatch } from './resource-patch.js';
import { runRestart, SERVICE_LABEL } from './restart.js';

let clients: KubeClients;
beforeAll(() => {
  clients = testKubeClients();
});

/**
 * kwok's chaos stage fails a pod carrying this label a second or two after it runs; with minReadySeconds
 * longer than that, no new pod ever counts as available and the rollout can never finish.
 */
async function failNewPods(namespace: string): Promise<void> {
  await clients.apps.patchNamespacedDeployment(
    {
      name: 'web',
      namespace,
      body: {
        spec: {
          minReadySeconds: 30,
          template: { metadata: { labels: { 'pod-container-running-failed.stage.kwok.x-k8s.io': 'true' } } },
        },
      },
    },
    STRATEGIC_MERGE_PATCH,
  );
}

describe('custom-deploy', () => {
  it('sets images on a Deployment, a StatefulSet and a CronJob and waits for the rollouts', async () => {
    const ns = await testNamespace(clients, 'deploy');
    await deployApp(clients, ns, 'web', { replicas: 3 });
    await clients.apps.createNamespacedStatefulSet({
      namespace: ns,
      body: {
        metadata: { name: 'db' },
        spec: {
          serviceName: 'db',
          replicas: 2,
          selector: { matchLabels: { app: 'db' } },
          template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image: 'db:1' }] } },
        },
      },
    });
    await clients.batch.createNamespacedCronJob({
      namespace: ns,
      body: {
        metadata: { name: 'nightly' },
        spec: {
          schedule: '0 3 * * *',
          jobTemplate: {
            spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'job', image: 'job:1' }] } } },
          },
        },
      },
    });
    const ctx = testJobContext(clients);
    await runCustomDeploy(ctx, {
      namespace: ns,
      targets: [
        { target: 'Deployment/web/app', image: 'registry.local/app:v2' },
        { target: 'StatefulSet/db/db', image: 'db:2' },
        { target: 'CronJob/nightly/job', image: 'job:2' },
      ],
    });
    const web = await clients.apps.readNamespacedDeployment({ name: 'web', namespace: ns });
    expect(web.spec!.template.spec!.containers[0]!.image).toBe('registry.local/app:v2');
    expect(web.status).toMatchObject({ updatedReplicas: 3, availableReplicas: 3, replicas: 3 });
    const db = await clients.apps.readNamespacedStatefulSet({ name: 'db', namespace: ns });
    expect(db.spec!.template.spec!.containers[0]!.image).toBe('db:2');
    expect(db.status!.updateRevision).toBe(db.status!.currentRevision);
    const cron = await clients.batch.readNamespacedCronJob({ name: 'nightly', namespace: ns });
    expect(cron.spec!.jobTemplate.spec!.template.spec!.containers[0]!.image).toBe('job:2');
    expect(ctx.beats.at(-1)?.steps).toHaveLength(3);
  });

  it('times out when pods never become ready, and fails on an unknown container', async () => {
    const ns = await testNamespace(clients, 'deploy');
    await deployApp(clients, ns, 'web', { replicas: 1 });
    await failNewPods(ns);
    const started = Date.now();
    await expect(
      runCustomDeploy(testJobContext(clients), {
        namespace: ns,
        timeout: 0.05,
        targets: [{ target: 'Deployment/web/app', image: 'registry.local/app:v9' }],
      }),
    ).rejects.toBeInstanceOf(WaitTimeoutError);
    expect(Date.now() - started).toBeLessThan(20_000);
    await expect(
      runCustomDeploy(testJobContext(clients), {
        namespace: ns,
        targets: [{ target: 'Deployment/web/nope', image: 'x' }],
      }),
    ).rejects.toThrow(/has no container "nope"/);
  });

  it('stops waiting at once when cancelled', async () => {
    const ns = await testNamespace(clients, 'deploy');
    await deployApp(clients, ns, 'web', { replicas: 1 });
    await failNewPods(ns);
    const abort = new AbortController();
    const run = runCustomDeploy(testJobContext(clients, { signal: abort.signal }), {
      namespace: ns,
      targets: [{ target: 'Deployment/web/app', image: 'registry.local/app:v3' }],
    });
    await new Promise((r) => setTimeout(r, 1_000));
    const cancelledAt = Date.now();
    abort.abort(new Error('run cancelled'));
    await expect(run).rejects.toThrow('run cancelled');
    // The rollout could never finish: ending well inside the 10-minute deploy timeout means the abort ended it.
    expect(Date.now() - cancelledAt).toBeLessThan(5_000);
  });
});

describe('k8s-resource-patch', () => {
  it('applies strategic-merge, merge (YAML) and json patches at once on different kinds', async () => {
    const ns = await testNamespace(clients, 'patch');
    await deployApp(clients, ns, 'web', { replicas: 1 });
    await clients.core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'cfg' }, data: { a: '1' } },
    });
    await runResourcePatch(testJobContext(clients), {
      namespace: ns,
      patch_items: [
        {
          resource_name: 'web',
          resource_kind: 'Deployment',
          resource_group: 'apps',
          resource_version: 'v1',
          patch_strategy: 'strategic-merge',
          patch_content:
            '{"spec":{"template":{"spec":{"containers":[{"name":"app","env":[{"name":"MODE","value":"blue"}]}]}}}}',
        },
        {
          resource_name: 'cfg',
          resource_kind: 'ConfigMap',
          resource_version: 'v1',
          patch_strategy: 'merge',
          patch_content: 'data:\n  b: "2"\n',
        },
        {
          resource_name: 'web',
          resource_kind: 'Service',
          resource_version: 'v1',
          patch_strategy: 'json',
          patch_content: '[{"op":"add","path":"/metadata/labels","value":{"patched":"yes"}}]',
        },
      ],
    });
    const web = await clients.apps.readNamespacedDeployment({ name: 'web', namespace: ns });
    expect(web.spec!.template.spec!.containers[0]!.env).toEqual([{ name: 'MODE', value: 'blue' }]);
    expect((await clients.core.readNamespacedConfigMap({ name: 'cfg', namespace: ns })).data).toEqual({
      a: '1',
      b: '2',
    });
    expect((await clients.core.readNamespacedService({ name: 'web', namespace: ns })).metadata!.labels).toEqual({
      patched: 'yes',
    });
  });

  it('fails naming every item that could not be patched', async () => {
    const ns = await testNamespace(clients, 'patch');
    await expect(
      runResourcePatch(testJobContext(clients), {
        namespace: ns,
        patch_items: [
          {
            resource_name: 'missing',
            resource_kind: 'ConfigMap',
            resource_version: 'v1',
            patch_strategy: 'merge',
            patch_content: '{"data":{}}',
          },
          {
            resource_name: 'x',
            resource_kind: 'ConfigMap',
            resource_version: 'v1',
            patch_strategy: 'json',
            patch_content: '{"not":"a list"}',
          },
        ],
      }),
    ).rejects.toThrow(/ConfigMap\/missing: .*not found.*ConfigMap\/x: a json patch must be a list/);
  });
});

describe('zadig-restart and offline-service', () => {
  it('restarts the workloads of a service and waits for new pods', async () => {
    const ns = await testNamespace(clients, 'restart');
    await deployApp(clients, ns, 'web', { replicas: 2, serviceLabels: { [SERVICE_LABEL]: 'web' } });
    const podsBefore = (await clients.core.listNamespacedPod({ namespace: ns })).items.map((p) => p.metadata!.name);
    await runRestart(testJobContext(clients), { namespace: ns, services: [{ service_name: 'web' }] });
    const web = await clients.apps.readNamespacedDeployment({ name: 'web', namespace: ns });
    expect(web.spec!.template.metadata!.annotations!['kubectl.kubernetes.io/restartedAt']).toBeTruthy();
    const podsAfter = (await clients.core.listNamespacedPod({ namespace: ns })).items
      .filter((p) => !p.metadata?.deletionTimestamp)
      .map((p) => p.metadata!.name);
    expect(podsAfter).toHaveLength(2);
    expect(podsAfter.some((p) => podsBefore.includes(p))).toBe(false);
    await expect(
      runRestart(testJobContext(clients), { namespace: ns, services: [{ service_name: 'ghost' }] }),
    ).rejects.toThrow(/no Deployment or StatefulSet/);
  });

  it("deletes a service's resources and leaves other services alone", async () => {
    const ns = await testNamespace(clients, 'offline');
    await deployApp(clients, ns, 'web', { replicas: 1, serviceLabels: { [SERVICE_LABEL]: 'web' } });
    await deployApp(clients, ns, 'api', { replicas: 1, serviceLabels: { [SERVICE_LABEL]: 'api' } });
    await clients.core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'web-cfg', labels: { [SERVICE_LABEL]: 'web' } }, data: {} },
    });
    const ctx = testJobContext(clients);
    await runOfflineService(ctx, { namespace: ns, services: ['web'] });
    expect(ctx.lines[0]).toMatch(/deleted Service\/web, Deployment\/web, ConfigMap\/web-cfg/);
    const deployments = (await clients.apps.listNamespacedDeployment({ namespace: ns })).items.map(
      (d) => d.metadata!.name,
    );
    expect(deployments).toEqual(['api']);
    const services = (await clients.core.listNamespacedService({ namespace: ns })).items.map((s) => s.metadata!.name);
    expect(services).toEqual(['api']);
  });
});

describe('update-env-istio-config', () => {
  it('writes weight and header-match policies onto VirtualServices of the base environment', async () => {
    const base = await testNamespace(clients, 'base');
    const gray = await testNamespace(clients, 'gray');
    await deployApp(clients, base, 'web', { replicas: 1 });
    await runUpdateEnvIstioConfig(testJobContext(clients), {
      namespace: base,
      base_env: base,
      grayscale_strategy: 'weight',
      weight_configs: [
        { env: base, weight: 80 },
        { env: gray, weight: 20 },
      ],
    });
    type Vs = {
      spec: {
        hosts: string[];
        http: Array<{ match?: unknown; route: Array<{ destination: { host: string }; weight?: number }> }>;
      };
    };
    let vs = await readIstio<Vs>(clients, base, 'virtualservices', 'web');
    expect(vs!.spec.http[0]!.route).toEqual([
      { destination: { host: `web.${base}.svc.cluster.local` }, weight: 80 },
      { destination: { host: `web.${gray}.svc.cluster.local` }, weight: 20 },
    ]);
    await runUpdateEnvIstioConfig(testJobContext(clients), {
      namespace: base,
      base_env: base,
      grayscale_strategy: 'header_match',
      header_match_configs: [{ env: gray, header_match: [{ key: 'x-env', match: 'exact', value: 'gray' }] }],
    });
    vs = await readIstio<Vs>(clients, base, 'virtualservices', 'web');
    expect(vs!.spec.http).toEqual([
      {
        match: [{ headers: { 'x-env': { exact: 'gray' } } }],
        route: [{ destination: { host: `web.${gray}.svc.cluster.local` } }],
      },
      { route: [{ destination: { host: `web.${base}.svc.cluster.local` } }] },
    ]);
  });
});
