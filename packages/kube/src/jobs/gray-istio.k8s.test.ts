import { beforeAll, describe, expect, it } from 'vitest';
import { clusterState, deployApp, testJobContext, testKubeClients, testNamespace } from '@stagecoach/testkit';
import type { GrayReleaseSpec, IstioReleaseSpec } from '@stagecoach/spec';
import type { KubeClients } from '../client.js';
import {
  GRAY_IMAGE_ANNOTATION,
  GRAY_REPLICA_ANNOTATION,
  GRAY_SUFFIX,
  runGrayRelease,
  runGrayRollback,
} from './gray.js';
import { readIstio } from '../istio-objects.js';
import { COPY_SUFFIX, LAST_APPLIED_ROUTES, runIstioRelease, runIstioRollback } from './istio.js';

let clients: KubeClients;
beforeAll(() => {
  clients = testKubeClients();
});

const read = (ns: string, name: string) => clients.apps.readNamespacedDeployment({ name, namespace: ns });
const gone = (ns: string, name: string) =>
  read(ns, name).then(
    () => false,
    () => true,
  );

describe('gray release', () => {
  const first = (ns: string): GrayReleaseSpec => ({
    namespace: ns,
    gray_scale: 20,
    targets: [
      { workload_type: 'Deployment', workload_name: 'web', container_name: 'app', image: 'registry.local/app:v2' },
    ],
  });

  it('splits 20 % → 50 % → 100 % and ends with the original on the new image', async () => {
    const ns = await testNamespace(clients, 'gray');
    await deployApp(clients, ns, 'web', { replicas: 10 });
    const firstSpec = first(ns);
    await runGrayRelease(testJobContext(clients), firstSpec, firstSpec);
    const original = await read(ns, 'web');
    expect(original.metadata!.annotations![GRAY_IMAGE_ANNOTATION]).toBe('registry.local/app:v1');
    expect(original.metadata!.annotations![GRAY_REPLICA_ANNOTATION]).toBe('10');
    expect(original.spec!.replicas).toBe(8);
    expect((await read(ns, `web${GRAY_SUFFIX}`)).spec!.replicas).toBe(2);

    await runGrayRelease(
      testJobContext(clients),
      { namespace: ns, from_job: 'gray-1', gray_scale: 50, targets: [] },
      firstSpec,
    );
    expect((await read(ns, 'web')).spec!.replicas).toBe(5);
    expect((await read(ns, `web${GRAY_SUFFIX}`)).status!.readyReplicas).toBe(5);

    await runGrayRelease(
      testJobContext(clients),
      { namespace: ns, from_job: 'gray-1', gray_scale: 100, targets: [] },
      firstSpec,
    );
    const done = await read(ns, 'web');
    expect(done.spec!.replicas).toBe(10);
    expect(done.spec!.template.spec!.containers[0]!.image).toBe('registry.local/app:v2');
    expect(await gone(ns, `web${GRAY_SUFFIX}`)).toBe(true);
  });

  it('rollback restores image and replicas from the annotations and removes the gray copy', async () => {
    const ns = await testNamespace(clients, 'gray');
    await deployApp(clients, ns, 'web', { replicas: 4 });
    const before = await clusterState(clients, ns);
    const firstSpec = first(ns);
    await runGrayRelease(testJobContext(clients), firstSpec, firstSpec);
    await runGrayRollback(testJobContext(clients), {
      namespace: ns,
      targets: [{ workload_type: 'Deployment', workload_name: 'web' }],
    });
    const after = await clusterState(clients, ns);
    expect(after.deployments.map((d) => [d.name, d.replicas, d.template?.spec?.containers[0]?.image])).toEqual(
      before.deployments.map((d) => [d.name, d.replicas, d.template?.spec?.containers[0]?.image]),
    );
  });

  it('rollback without a gray release fails and says why', async () => {
    const ns = await testNamespace(clients, 'gray');
    await deployApp(clients, ns, 'web', { replicas: 1 });
    await expect(
      runGrayRollback(testJobContext(clients), {
        namespace: ns,
        targets: [{ workload_type: 'Deployment', workload_name: 'web' }],
      }),
    ).rejects.toThrow(/no gray-release annotations/);
  });
});

describe('istio release', () => {
  const firstSpec = (ns: string, vs?: string): IstioReleaseSpec => ({
    namespace: ns,
    first: true,
    weight: 10,
    replica_percentage: 50,
    targets: [
      {
        workload_name: 'web',
        container_name: 'app',
        host: 'web',
        image: 'registry.local/app:v2',
        ...(vs ? { virtual_service_name: vs } : {}),
      },
    ],
  });
  const vsOf = (ns: string, name: string) =>
    readIstio<{
      metadata: { annotations?: Record<string, string> };
      spec: { http: Array<{ route: Array<{ destination: { subset?: string; host: string }; weight?: number }> }> };
    }>(clients, ns, 'virtualservices', name);

  it("copies the workload, adds subsets, shifts weights on Zadig's own VirtualService, and finishes at 100", async () => {
    const ns = await testNamespace(clients, 'istio');
    await deployApp(clients, ns, 'web', { replicas: 4, templateLabels: { 'zadig-istio-release-version': 'original' } });
    const first = firstSpec(ns);
    await runIstioRelease(testJobContext(clients), first, first);
    const copy = await read(ns, `web${COPY_SUFFIX}`);
    expect(copy.spec!.replicas).toBe(2);
    expect(copy.spec!.template.metadata!.labels!['zadig-istio-release-version']).toBe('duplicate');
    const dr = await readIstio<{ spec: { subsets: Array<{ name: string }> } }>(
      clients,
      ns,
      'destinationrules',
      'web-zadig',
    );
    expect(dr!.spec.subsets.map((s) => s.name)).toEqual(['original', 'duplicate']);
    let vs = await vsOf(ns, 'web-vs-zadig');
    expect(vs!.spec.http[0]!.route.map((r) => [r.destination.subset, r.weight])).toEqual([
      ['original', 90],
      ['duplicate', 10],
    ]);

    await runIstioRelease(
      testJobContext(clients),
      { namespace: ns, first: false, from_job: 'istio-1', weight: 60, targets: [] },
      first,
    );
    vs = await vsOf(ns, 'web-vs-zadig');
    expect(vs!.spec.http[0]!.route.map((r) => r.weight)).toEqual([40, 60]);

    await runIstioRelease(
      testJobContext(clients),
      { namespace: ns, first: false, from_job: 'istio-1', weight: 100, targets: [] },
      first,
    );
    const web = await read(ns, 'web');
    expect(web.spec!.template.spec!.containers[0]!.image).toBe('registry.local/app:v2');
    expect(await vsOf(ns, 'web-vs-zadig')).toBeUndefined();
    expect(await readIstio(clients, ns, 'destinationrules', 'web-zadig')).toBeUndefined();
    expect(await gone(ns, `web${COPY_SUFFIX}`)).toBe(true);
  });

  it("splits the user's own VirtualService and rollback restores its routes", async () => {
    const ns = await testNamespace(clients, 'istio');
    await deployApp(clients, ns, 'web', { replicas: 2, templateLabels: { 'zadig-istio-release-version': 'original' } });
    const userRoutes = [{ route: [{ destination: { host: 'web', port: { number: 80 } } }], timeout: '5s' }];
    await clients.custom.createNamespacedCustomObject({
      group: 'networking.istio.io',
      version: 'v1alpha3',
      namespace: ns,
      plural: 'virtualservices',
      body: {
        apiVersion: 'networking.istio.io/v1alpha3',
        kind: 'VirtualService',
        metadata: { name: 'web-vs' },
        spec: { hosts: ['web'], http: userRoutes },
      },
    });
    const first = firstSpec(ns, 'web-vs');
    await runIstioRelease(testJobContext(clients), first, first);
    const split = await vsOf(ns, 'web-vs');
    expect(JSON.parse(split!.metadata.annotations![LAST_APPLIED_ROUTES]!)).toEqual(userRoutes);
    expect(split!.spec.http[0]!.route.map((r) => r.weight)).toEqual([90, 10]);

    await runIstioRollback(testJobContext(clients), {
      namespace: ns,
      targets: [{ workload_name: 'web', container_name: 'app' }],
    });
    const restored = await vsOf(ns, 'web-vs');
    expect(restored!.spec.http).toEqual(userRoutes);
    expect(restored!.metadata.annotations?.[LAST_APPLIED_ROUTES]).toBeUndefined();
    expect(await readIstio(clients, ns, 'destinationrules', 'web-zadig')).toBeUndefined();
    expect(await gone(ns, `web${COPY_SUFFIX}`)).toBe(true);
  });

  it('refuses a Deployment without the original version label', async () => {
    const ns = await testNamespace(clients, 'istio');
    await deployApp(clients, ns, 'web', { replicas: 1 });
    const first = firstSpec(ns);
    await expect(runIstioRelease(testJobContext(clients), first, first)).rejects.toThrow(
      /zadig-istio-release-version=original/,
    );
  });
});
