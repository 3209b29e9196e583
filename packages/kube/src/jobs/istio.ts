import {
  DEFAULT_DEPLOY_TIMEOUT_MINUTES,
  type IstioReleaseSpec,
  type IstioRollbackSpec,
  type IstioTarget,
} from '@stagecoach/spec';
import type { KubeClients } from '../client.js';
import { deleteIstio, patchIstio, readIstio, upsertIstio } from '../istio-objects.js';
import { OWNER_ANNOTATION, Steps, type KubeJobContext } from '../job-context.js';
import {
  annotateDeployment,
  containerImage,
  deleteAndWait,
  scaleDeployment,
  setContainerImage,
  waitDeploymentReady,
} from '../workloads.js';
import { copyDeployment, createOwned, withImage } from './service-workload.js';

export const ISTIO_VERSION_LABEL = 'zadig-istio-release-version';
export const LAST_APPLIED_VS = 'last-applied-virtual-service';
export const LAST_APPLIED_ROUTES = 'last-applied-routes';
export const LAST_APPLIED_IMAGE = 'last-applied-image';
export const LAST_APPLIED_REPLICAS = 'last-applied-replicas';
export const WORKLOAD_CREATOR = 'workload-creator';
export const COPY_SUFFIX = '-zadig-copy';

interface Route {
  destination: { host: string; subset?: string; port?: { number?: number } };
  weight?: number;
}
interface HttpRoute {
  route?: Route[];
  [key: string]: unknown;
}
interface VirtualService {
  metadata: { name: string; annotations?: Record<string, string> };
  spec: { hosts?: string[]; http?: HttpRoute[] };
}

const drName = (workload: string) => `${workload}-zadig`;
const zadigVsName = (workload: string) => `${workload}-vs-zadig`;

/**
 * Zadig's `istio-release`. The first job copies the Deployment as `<name>-zadig-copy` (pods labelled
 * `duplicate`, new image), adds a DestinationRule with `original` and `duplicate` subsets and splits the
 * VirtualService's traffic by `weight` (the user's VS, its routes saved in an annotation, or Zadig's own).
 * Followers below 100 only move the weights; the one at 100 puts the new image on the original, restores
 * the routes and removes the DestinationRule and the copy.
 */
export async function runIstioRelease(
  ctx: KubeJobContext,
  spec: IstioReleaseSpec,
  first: IstioReleaseSpec,
): Promise<Record<string, string>> {
  const started = Date.now();
  const steps = new Steps(ctx);
  const ns = first.namespace;
  const wait = steps.waitOptions(spec.timeout || first.timeout || DEFAULT_DEPLOY_TIMEOUT_MINUTES, started);
  for (const t of first.targets) {
    const name = t.workload_name;
    const copyName = `${name}${COPY_SUFFIX}`;
    const original = await ctx.clients.apps.readNamespacedDeployment({ name, namespace: ns });
    if (original.spec?.template.metadata?.labels?.[ISTIO_VERSION_LABEL] !== 'original') {
      throw new Error(`Deployment ${ns}/${name}: its pod template needs the label ${ISTIO_VERSION_LABEL}=original`);
    }
    const current = original.spec.replicas ?? 1;
    const target = t.target_replica ?? Math.ceil((current * (first.replica_percentage ?? 100)) / 100);
    if (spec.first) {
      await steps.run(`record ${name}`, () =>
        annotateDeployment(ctx.clients, ns, name, { [LAST_APPLIED_VS]: t.virtual_service_name || 'none' }),
      );
      await steps.run(`create ${copyName}`, async () => {
        const body = copyDeployment(
          original,
          copyName,
          (c) => {
            c.metadata!.labels = { ...c.metadata!.labels, [ISTIO_VERSION_LABEL]: 'duplicate' };
            c.spec!.replicas = target;
            c.spec!.selector.matchLabels = { ...c.spec!.selector.matchLabels, [ISTIO_VERSION_LABEL]: 'duplicate' };
            c.spec!.template.metadata = {
              ...c.spec!.template.metadata,
              labels: { ...c.spec!.template.metadata?.labels, [ISTIO_VERSION_LABEL]: 'duplicate' },
            };
            withImage(c, t.container_name, t.image);
            delete c.metadata!.annotations![LAST_APPLIED_VS];
          },
          { [OWNER_ANNOTATION]: ctx.owner, [WORKLOAD_CREATOR]: 'zadig-istio-release' },
        );
        await createOwned(ctx, ns, copyName, () =>
          ctx.clients.apps.createNamespacedDeployment({ namespace: ns, body }),
        );
        ctx.log(`Deployment ${ns}/${copyName}: created with ${target} replica(s) of ${t.image}`);
      });
      await Promise.all([
        waitDeploymentReady(ctx.clients, ns, name, wait),
        waitDeploymentReady(ctx.clients, ns, copyName, wait),
      ]);
      await steps.run(`destination rule ${drName(name)}`, () =>
        upsertDestinationRule(ctx, ns, name, t, original.spec!.template.metadata!.labels!),
      );
    }
    if (spec.weight < 100) {
      await steps.run(`weights ${name} ${spec.weight}`, () => splitTraffic(ctx, ns, t, spec.weight));
      ctx.log(`${ns}/${name}: ${100 - spec.weight}% original, ${spec.weight}% new version`);
      continue;
    }
    await steps.run(`promote ${name}`, async () => {
      const fresh = await ctx.clients.apps.readNamespacedDeployment({ name, namespace: ns });
      await annotateDeployment(ctx.clients, ns, name, {
        [LAST_APPLIED_IMAGE]: containerImage(fresh.spec!.template, t.container_name) ?? '',
        [LAST_APPLIED_REPLICAS]: String(fresh.spec?.replicas ?? 1),
      });
      await setContainerImage(ctx.clients, ns, 'Deployment', name, t.container_name, t.image);
      await scaleDeployment(ctx.clients, ns, name, target);
    });
    await waitDeploymentReady(ctx.clients, ns, name, wait);
    await steps.run(`restore routes ${name}`, () => restoreRoutes(ctx, ns, name, t.virtual_service_name, true));
    await steps.run(`remove ${drName(name)}`, () => deleteDestinationRule(ctx.clients, ns, name));
    await steps.run(`remove ${copyName}`, () => deleteAndWait(ctx.clients, ns, copyName, wait));
    ctx.log(`${ns}/${name}: all traffic on ${t.image}`);
  }
  return {};
}

/**
 * Zadig's `istio-rollback`: the DestinationRule goes (a failure here is only logged), the routes come back
 * (Zadig's own VS deleted, the user's restored from its annotation), the original image and replicas are
 * restored if a finishing job changed them, and the copy is removed.
 */
export async function runIstioRollback(ctx: KubeJobContext, spec: IstioRollbackSpec): Promise<Record<string, string>> {
  const started = Date.now();
  const steps = new Steps(ctx);
  const ns = spec.namespace;
  const wait = steps.waitOptions(spec.timeout || DEFAULT_DEPLOY_TIMEOUT_MINUTES, started);
  for (const t of spec.targets) {
    const name = t.workload_name;
    await steps.run(`remove ${drName(name)}`, async () => {
      try {
        await deleteDestinationRule(ctx.clients, ns, name);
      } catch (err) {
        ctx.log(`DestinationRule ${ns}/${drName(name)}: not removed (${(err as Error).message})`);
      }
    });
    const original = await ctx.clients.apps.readNamespacedDeployment({ name, namespace: ns });
    const a = original.metadata?.annotations ?? {};
    const vs = a[LAST_APPLIED_VS];
    await steps.run(`restore routes ${name}`, () =>
      restoreRoutes(ctx, ns, name, vs && vs !== 'none' ? vs : t.virtual_service_name, false),
    );
    const image = a[LAST_APPLIED_IMAGE];
    if (image) {
      await steps.run(`restore ${name}`, async () => {
        const containers = original.spec!.template.spec!.containers;
        const container = t.container_name || (containers.length === 1 ? containers[0]!.name : undefined);
        if (!container)
          throw new Error(`Deployment ${ns}/${name} has several containers: name the one to restore (container_name)`);
        await setContainerImage(ctx.clients, ns, 'Deployment', name, container, image);
        await scaleDeployment(ctx.clients, ns, name, Number(a[LAST_APPLIED_REPLICAS] ?? original.spec?.replicas ?? 1));
      });
      await waitDeploymentReady(ctx.clients, ns, name, wait);
    }
    await steps.run(`remove ${name}${COPY_SUFFIX}`, () =>
      deleteAndWait(ctx.clients, ns, `${name}${COPY_SUFFIX}`, wait),
    );
    ctx.log(`${ns}/${name}: rolled back`);
  }
  return {};
}

async function upsertDestinationRule(
  ctx: KubeJobContext,
  namespace: string,
  workload: string,
  t: IstioTarget,
  labels: Record<string, string>,
): Promise<void> {
  await upsertIstio(
    ctx.clients,
    namespace,
    'destinationrules',
    drName(workload),
    { annotations: { [OWNER_ANNOTATION]: ctx.owner } },
    {
      host: t.host,
      subsets: [
        { name: 'original', labels: { ...labels, [ISTIO_VERSION_LABEL]: 'original' } },
        { name: 'duplicate', labels: { ...labels, [ISTIO_VERSION_LABEL]: 'duplicate' } },
      ],
    },
  );
}

function splitRoutes(host: string, weight: number, port?: number): HttpRoute[] {
  const destination = (subset: string) => ({ host, subset, ...(port ? { port: { number: port } } : {}) });
  return [
    {
      route: [
        { destination: destination('original'), weight: 100 - weight },
        { destination: destination('duplicate'), weight },
      ],
    },
  ];
}

/** Points the VirtualService's traffic at both subsets, saving the user's own routes once. */
async function splitTraffic(ctx: KubeJobContext, namespace: string, t: IstioTarget, weight: number): Promise<void> {
  if (t.virtual_service_name) {
    const vs = await readIstio<VirtualService>(ctx.clients, namespace, 'virtualservices', t.virtual_service_name);
    if (!vs) throw new Error(`VirtualService ${namespace}/${t.virtual_service_name} not found`);
    const saved = vs.metadata.annotations?.[LAST_APPLIED_ROUTES];
    const port = vs.spec.http?.[0]?.route?.[0]?.destination.port?.number;
    const hosts = vs.spec.hosts ?? [];
    await patchIstio(ctx.clients, namespace, 'virtualservices', t.virtual_service_name, {
      metadata: { annotations: { [LAST_APPLIED_ROUTES]: saved ?? JSON.stringify(vs.spec.http ?? []) } },
      spec: { hosts: hosts.includes(t.host) ? hosts : [...hosts, t.host], http: splitRoutes(t.host, weight, port) },
    });
    return;
  }
  await upsertIstio(
    ctx.clients,
    namespace,
    'virtualservices',
    zadigVsName(t.workload_name),
    { annotations: { [OWNER_ANNOTATION]: ctx.owner } },
    { hosts: [t.host], http: splitRoutes(t.host, weight) },
  );
}

/** The user's routes back from the annotation (which goes too), or Zadig's own VirtualService deleted. */
async function restoreRoutes(
  ctx: KubeJobContext,
  namespace: string,
  workload: string,
  userVs: string | undefined,
  required: boolean,
): Promise<void> {
  if (!userVs) {
    await deleteIstio(ctx.clients, namespace, 'virtualservices', zadigVsName(workload));
    return;
  }
  const vs = await readIstio<VirtualService>(ctx.clients, namespace, 'virtualservices', userVs);
  const saved = vs?.metadata.annotations?.[LAST_APPLIED_ROUTES];
  if (!vs || saved === undefined) {
    if (required) throw new Error(`VirtualService ${namespace}/${userVs} has no saved routes to restore`);
    return;
  }
  await patchIstio(ctx.clients, namespace, 'virtualservices', userVs, {
    metadata: { annotations: { [LAST_APPLIED_ROUTES]: null } },
    spec: { http: JSON.parse(saved) as HttpRoute[] },
  });
}

async function deleteDestinationRule(clients: KubeClients, namespace: string, workload: string): Promise<void> {
  await deleteIstio(clients, namespace, 'destinationrules', drName(workload));
}
