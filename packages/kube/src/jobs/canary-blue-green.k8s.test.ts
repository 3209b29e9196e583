import { beforeAll, describe, expect, it } from 'vitest';
import { clusterState, deployApp, testJobContext, testKubeClients, testNamespace } from '@stagecoach/testkit';
import type { BlueGreenDeploySpec, CanaryDeploySpec } from '@stagecoach/spec';
import type { KubeClients } from '../client.js';
import { BLUE_GREEN_VERSION, cleanBlueGreenRelease, runBlueGreenDeploy, runBlueGreenRelease } from './blue-green.js';
import { CANARY_SUFFIX, cleanCanaryRelease, runCanaryDeploy, runCanaryRelease } from './canary.js';

let clients: KubeClients;
beforeAll(() => {
  clients = testKubeClients();
});

const image = async (ns: string, name: string) =>
  (await clients.apps.readNamespacedDeployment({ name, namespace: ns })).spec!.template.spec!.containers[0]!.image;
const exists = async (ns: string, name: string) =>
  clients.apps.readNamespacedDeployment({ name, namespace: ns }).then(
    () => true,
    () => false,
  );

describe('canary', () => {
  const canarySpec = (ns: string): CanaryDeploySpec => ({
    namespace: ns,
    targets: [
      { k8s_service_name: 'web', container_name: 'app', image: 'registry.local/app:v2', canary_percentage: 25 },
    ],
  });

  it('deploys ceil(replicas × percentage) canary pods behind the same Service, then releases', async () => {
    const ns = await testNamespace(clients, 'canary');
    await deployApp(clients, ns, 'web', { replicas: 4 });
    const ctx = testJobContext(clients);
    await runCanaryDeploy(ctx, canarySpec(ns));
    const canary = await clients.apps.readNamespacedDeployment({ name: `web${CANARY_SUFFIX}`, namespace: ns });
    expect(canary.spec!.replicas).toBe(1);
    expect(canary.status?.readyReplicas).toBe(1);
    expect(canary.spec!.template.metadata!.labels).toEqual({ app: 'web' });
    expect(await image(ns, `web${CANARY_SUFFIX}`)).toBe('registry.local/app:v2');
    expect(await image(ns, 'web')).toBe('registry.local/app:v1');

    await runCanaryRelease(testJobContext(clients), { from_job: 'deploy' }, canarySpec(ns));
    expect(await exists(ns, `web${CANARY_SUFFIX}`)).toBe(false);
    expect(await image(ns, 'web')).toBe('registry.local/app:v2');
    const web = await clients.apps.readNamespacedDeployment({ name: 'web', namespace: ns });
    expect(web.status?.updatedReplicas).toBe(4);
    expect(web.status?.availableReplicas).toBe(4);
  });

  it('cleanup after a deploy without release leaves the namespace as it was', async () => {
    const ns = await testNamespace(clients, 'canary');
    await deployApp(clients, ns, 'web', { replicas: 3 });
    const before = await clusterState(clients, ns);
    await runCanaryDeploy(testJobContext(clients), canarySpec(ns));
    expect(await exists(ns, `web${CANARY_SUFFIX}`)).toBe(true);
    await cleanCanaryRelease(testJobContext(clients), canarySpec(ns));
    expect(await clusterState(clients, ns)).toEqual(before);
  });

  it('refuses a leftover canary it did not create, and resumes its own after a crash', async () => {
    const ns = await testNamespace(clients, 'canary');
    await deployApp(clients, ns, 'web', { replicas: 2 });
    await runCanaryDeploy(testJobContext(clients, { owner: 'run-a/deploy' }), canarySpec(ns));
    await expect(runCanaryDeploy(testJobContext(clients, { owner: 'run-b/deploy' }), canarySpec(ns))).rejects.toThrow(
      /already exists/,
    );
    // The same job again (a retried attempt whose heartbeat was lost) recognises its own copy.
    const again = testJobContext(clients, { owner: 'run-a/deploy' });
    await runCanaryDeploy(again, canarySpec(ns));
    // An attempt that knows the create step finished skips it.
    const resumed = testJobContext(clients, { owner: 'run-a/deploy', completed: [`create web${CANARY_SUFFIX}`] });
    await runCanaryDeploy(resumed, canarySpec(ns));
    expect(resumed.lines[0]).toMatch(/done by an earlier attempt/);
  });

  it('rejects a headless Service and a Service selecting two Deployments', async () => {
    const ns = await testNamespace(clients, 'canary');
    await clients.core.createNamespacedService({
      namespace: ns,
      body: {
        metadata: { name: 'headless' },
        spec: { clusterIP: 'None', selector: { app: 'x' }, ports: [{ port: 80 }] },
      },
    });
    await expect(
      runCanaryDeploy(testJobContext(clients), {
        namespace: ns,
        targets: [{ k8s_service_name: 'headless', container_name: 'app', image: 'i', canary_percentage: 10 }],
      }),
    ).rejects.toThrow(/headless/);
    await deployApp(clients, ns, 'a', { replicas: 1, templateLabels: { tier: 'web' } });
    await deployApp(clients, ns, 'b', { replicas: 1, templateLabels: { tier: 'web' } });
    await clients.core.createNamespacedService({
      namespace: ns,
      body: { metadata: { name: 'tier' }, spec: { selector: { tier: 'web' }, ports: [{ port: 80 }] } },
    });
    await expect(
      runCanaryDeploy(testJobContext(clients), {
        namespace: ns,
        targets: [{ k8s_service_name: 'tier', container_name: 'app', image: 'i', canary_percentage: 10 }],
      }),
    ).rejects.toThrow(/exactly one Deployment, found 2/);
  });
});

describe('blue-green', () => {
  const spec = (ns: string): BlueGreenDeploySpec => ({
    namespace: ns,
    targets: [{ k8s_service_name: 'web', container_name: 'app', image: 'registry.local/app:v2' }],
  });

  it('pins the live Service to the original pods and brings up blue beside them', async () => {
    const ns = await testNamespace(clients, 'bg');
    await deployApp(clients, ns, 'web', { replicas: 2 });
    await runBlueGreenDeploy(testJobContext(clients), spec(ns));
    const svc = await clients.core.readNamespacedService({ name: 'web', namespace: ns });
    expect(svc.spec!.selector).toEqual({ app: 'web', [BLUE_GREEN_VERSION]: 'origin' });
    const blueSvc = await clients.core.readNamespacedService({ name: 'web-blue', namespace: ns });
    expect(blueSvc.spec!.selector).toEqual({ app: 'web', [BLUE_GREEN_VERSION]: 'blue' });
    expect(await image(ns, 'web-blue')).toBe('registry.local/app:v2');
    const green = await clients.core.listNamespacedPod({
      namespace: ns,
      labelSelector: `app=web,${BLUE_GREEN_VERSION}=origin`,
    });
    expect(green.items).toHaveLength(2);
    const blue = await clients.core.listNamespacedPod({ namespace: ns, labelSelector: `${BLUE_GREEN_VERSION}=blue` });
    expect(blue.items).toHaveLength(2);
  });

  it('release moves the new image onto green; cleanup then removes blue and unpins', async () => {
    const ns = await testNamespace(clients, 'bg');
    await deployApp(clients, ns, 'web', { replicas: 2 });
    await runBlueGreenDeploy(testJobContext(clients), spec(ns));
    await runBlueGreenRelease(testJobContext(clients), { from_job: 'deploy' }, spec(ns));
    expect(await image(ns, 'web')).toBe('registry.local/app:v2');
    const served = await clients.core.listNamespacedPod({
      namespace: ns,
      labelSelector: `app=web,${BLUE_GREEN_VERSION}=origin`,
    });
    expect(served.items.filter((p) => !p.metadata?.deletionTimestamp).length).toBeGreaterThanOrEqual(2);
    await cleanBlueGreenRelease(testJobContext(clients), spec(ns));
    expect(await exists(ns, 'web-blue')).toBe(false);
    const svc = await clients.core.readNamespacedService({ name: 'web', namespace: ns });
    expect(svc.spec!.selector).toEqual({ app: 'web' });
    const labelled = await clients.core.listNamespacedPod({ namespace: ns, labelSelector: BLUE_GREEN_VERSION });
    expect(labelled.items.filter((p) => !p.metadata?.deletionTimestamp)).toHaveLength(0);
  });

  it('cleanup after a deploy without release leaves the namespace as it was', async () => {
    const ns = await testNamespace(clients, 'bg');
    await deployApp(clients, ns, 'web', { replicas: 2 });
    const before = await clusterState(clients, ns);
    await runBlueGreenDeploy(testJobContext(clients), spec(ns));
    await cleanBlueGreenRelease(testJobContext(clients), spec(ns));
    expect(await clusterState(clients, ns)).toEqual(before);
  });
});
