import type { V1Deployment, V1Service } from '@kubernetes/client-node';
import {
  DEFAULT_DEPLOY_TIMEOUT_MINUTES,
  type BlueGreenDeploySpec,
  type BlueGreenReleaseSpec,
  type BlueGreenTarget,
} from '@stagecoach/spec';
import { ignoreNotFound, isConflict, isNotFound, MERGE_PATCH, STRATEGIC_MERGE_PATCH } from '../client.js';
import { cleanupWaitOptions, OWNER_ANNOTATION, Steps, type KubeJobContext } from '../job-context.js';
import { deleteAndWait, setContainerImage, waitDeploymentReady } from '../workloads.js';
import { copyDeployment, createOwned, serviceDeployment, withImage } from './service-workload.js';

/** Zadig's blue-green label: `origin` on the live (green) pods, `blue` on the new version's. */
export const BLUE_GREEN_VERSION = 'zadig-blue-green-version';
export const RELEASE_TYPE_LABEL = 'zadigx-release-type';
export const RELEASE_SERVICE_LABEL = 'zadigx-release-service-name';
/** Release waits are shorter in Zadig: the green pods are relabelled once the rollout settles. */
const DEFAULT_RELEASE_TIMEOUT_MINUTES = 3;

interface Names {
  green: string;
  blue: string;
  service: string;
  blueService: string;
}

async function namesOf(
  ctx: KubeJobContext,
  namespace: string,
  t: BlueGreenTarget,
): Promise<Names & { found: Awaited<ReturnType<typeof serviceDeployment>> }> {
  const found = await serviceDeployment(ctx.clients, namespace, t.k8s_service_name, t.workload_name, [
    BLUE_GREEN_VERSION,
  ]);
  const green = found.deployment.metadata!.name!;
  return {
    found,
    green,
    blue: t.blue_workload_name || `${green}-blue`,
    service: t.k8s_service_name,
    blueService: t.blue_k8s_service_name || `${t.k8s_service_name}-blue`,
  };
}

/**
 * Zadig's `k8s-blue-green-deploy` (the v2 choreography): label the live pods `origin` and pin the Service
 * to them, then create the blue Service and the blue Deployment (new image, pods labelled `blue`) beside
 * them and wait until blue is ready. Testers reach the new version through the blue Service.
 */
export async function runBlueGreenDeploy(
  ctx: KubeJobContext,
  spec: BlueGreenDeploySpec,
): Promise<Record<string, string>> {
  const started = Date.now();
  const steps = new Steps(ctx);
  const ns = spec.namespace;
  for (const t of spec.targets) {
    const { found, green, blue, service, blueService } = await namesOf(ctx, ns, t);
    await steps.run(`label ${green} pods origin`, () => labelPods(ctx, ns, found.deployment, 'origin'));
    await steps.run(`pin ${service} to origin`, async () => {
      await ctx.clients.core.patchNamespacedService(
        { name: service, namespace: ns, body: { spec: { selector: { [BLUE_GREEN_VERSION]: 'origin' } } } },
        STRATEGIC_MERGE_PATCH,
      );
    });
    await steps.run(`create service ${blueService}`, async () => {
      const body = blueServiceOf(found.service, blueService, ctx.owner);
      try {
        await ctx.clients.core.createNamespacedService({ namespace: ns, body });
      } catch (err) {
        if (!isConflict(err)) throw err;
        const existing = await ctx.clients.core.readNamespacedService({ name: blueService, namespace: ns });
        if (existing.metadata?.annotations?.[OWNER_ANNOTATION] !== ctx.owner) {
          throw new Error(`Service ${ns}/${blueService} already exists (left by another release?)`);
        }
      }
    });
    await steps.run(`create ${blue}`, async () => {
      const body = copyDeployment(
        found.deployment,
        blue,
        (c) => {
          c.metadata!.labels = {
            ...c.metadata!.labels,
            [RELEASE_TYPE_LABEL]: 'blue-green',
            [RELEASE_SERVICE_LABEL]: service,
          };
          c.spec!.selector.matchLabels = { ...c.spec!.selector.matchLabels, [BLUE_GREEN_VERSION]: 'blue' };
          c.spec!.template.metadata = {
            ...c.spec!.template.metadata,
            labels: { ...c.spec!.template.metadata?.labels, [BLUE_GREEN_VERSION]: 'blue' },
          };
          withImage(c, t.container_name, t.image);
        },
        { [OWNER_ANNOTATION]: ctx.owner },
      );
      await createOwned(ctx, ns, blue, () => ctx.clients.apps.createNamespacedDeployment({ namespace: ns, body }));
      ctx.log(`Deployment ${ns}/${blue} and Service ${ns}/${blueService}: created with ${t.image}`);
    });
    await waitDeploymentReady(
      ctx.clients,
      ns,
      blue,
      steps.waitOptions(t.deploy_timeout || DEFAULT_DEPLOY_TIMEOUT_MINUTES, started),
    );
    ctx.log(`Deployment ${ns}/${blue}: ready`);
  }
  return {};
}

/**
 * Zadig's `k8s-blue-green-release`: the new image goes onto the green (original) Deployment; once it has
 * rolled out its new pods are labelled `origin`, so the pinned Service serves them. The blue copies are
 * removed by the cleanup that ends every run.
 */
export async function runBlueGreenRelease(
  ctx: KubeJobContext,
  spec: BlueGreenReleaseSpec,
  deploy: BlueGreenDeploySpec,
): Promise<Record<string, string>> {
  const started = Date.now();
  const steps = new Steps(ctx);
  const ns = deploy.namespace;
  const wait = steps.waitOptions(spec.release_timeout || DEFAULT_RELEASE_TIMEOUT_MINUTES, started);
  for (const t of deploy.targets) {
    const { green } = await namesOf(ctx, ns, t);
    await steps.run(`image ${green}`, async () => {
      await setContainerImage(ctx.clients, ns, 'Deployment', green, t.container_name, t.image);
      ctx.log(`Deployment ${ns}/${green}: container ${t.container_name} → ${t.image}`);
    });
    const rolled = await waitDeploymentReady(ctx.clients, ns, green, wait);
    await labelPods(ctx, ns, rolled, 'origin');
    ctx.log(`Deployment ${ns}/${green}: released, its pods serve ${t.k8s_service_name}`);
  }
  return {};
}

/**
 * The release job's cleanup (Zadig's Clean()), at the end of every run: blue Deployment and Service go,
 * the Service's selector loses the version key first, then the green pods lose the label. A run that
 * stopped between deploy and release is back where it started.
 */
export async function cleanBlueGreenRelease(ctx: KubeJobContext, deploy: BlueGreenDeploySpec): Promise<void> {
  const ns = deploy.namespace;
  for (const t of deploy.targets) {
    let names: Awaited<ReturnType<typeof namesOf>>;
    try {
      names = await namesOf(ctx, ns, t);
    } catch (err) {
      if (isNotFound(err)) continue;
      throw err;
    }
    await deleteAndWait(ctx.clients, ns, names.blue, cleanupWaitOptions(ctx));
    await ignoreNotFound(ctx.clients.core.deleteNamespacedService({ name: names.blueService, namespace: ns }));
    if (names.found.service.spec?.selector?.[BLUE_GREEN_VERSION] !== undefined) {
      await ctx.clients.core.patchNamespacedService(
        { name: names.service, namespace: ns, body: { spec: { selector: { [BLUE_GREEN_VERSION]: null } } } },
        MERGE_PATCH,
      );
    }
    await labelPods(ctx, ns, names.found.deployment, null);
    ctx.log(`blue-green of ${ns}/${names.service}: blue removed, ${names.green} serves alone`);
  }
}

function blueServiceOf(green: V1Service, name: string, owner: string): V1Service {
  const ports = (green.spec?.ports ?? []).map(({ nodePort: _nodePort, ...p }) => p);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name,
      namespace: green.metadata?.namespace,
      labels: green.metadata?.labels,
      annotations: { [OWNER_ANNOTATION]: owner },
    },
    spec: {
      type: green.spec?.type === 'LoadBalancer' ? 'ClusterIP' : green.spec?.type,
      ports,
      selector: { ...green.spec?.selector, [BLUE_GREEN_VERSION]: 'blue' },
    },
  };
}

/** Sets (or, with null, removes) the version label on every pod of the Deployment. */
async function labelPods(
  ctx: KubeJobContext,
  namespace: string,
  deployment: V1Deployment,
  value: string | null,
): Promise<void> {
  const selector = deployment.spec?.selector.matchLabels ?? {};
  const labelSelector = Object.entries(selector)
    .filter(([k]) => k !== BLUE_GREEN_VERSION)
    .map(([k, v]) => `${k}=${v}`)
    .concat(`${BLUE_GREEN_VERSION}!=blue`)
    .join(',');
  const pods = await ctx.clients.core.listNamespacedPod({ namespace, labelSelector });
  await Promise.all(
    pods.items
      .filter((p) => !p.metadata?.deletionTimestamp && (p.metadata?.labels?.[BLUE_GREEN_VERSION] ?? null) !== value)
      .map(async (p) => {
        // A pod replaced meanwhile needs no label.
        await ignoreNotFound(
          ctx.clients.core.patchNamespacedPod(
            { name: p.metadata!.name!, namespace, body: { metadata: { labels: { [BLUE_GREEN_VERSION]: value } } } },
            MERGE_PATCH,
          ),
        );
      }),
  );
}
