import type { V1Deployment, V1Service } from '@kubernetes/client-node';
import { isConflict, type KubeClients } from '../client.js';
import { OWNER_ANNOTATION, type KubeJobContext } from '../job-context.js';
import { readDeployment } from '../workloads.js';

/** Suffixes Zadig gives the copies it makes; a copy (or anything a release job created) is never a release target. */
export const RELEASE_COPY_SUFFIXES = ['-zadig-canary', '-zadig-blue', '-zadig-gray', '-zadig-copy'];

/**
 * The one Deployment behind a Service (Zadig's rule for canary and blue-green targets): the Service must
 * have a selector and a cluster IP, and exactly one Deployment's pod labels must match the selector.
 */
export async function serviceDeployment(
  clients: KubeClients,
  namespace: string,
  serviceName: string,
  workloadName?: string,
  /** selector keys a release added, which the Deployment's own pod template does not carry */
  ignoreKeys: string[] = [],
): Promise<{ service: V1Service; deployment: V1Deployment }> {
  const service = await clients.core.readNamespacedService({ name: serviceName, namespace });
  if (service.spec?.clusterIP === 'None') throw new Error(`Service ${namespace}/${serviceName} is headless`);
  const selector = Object.fromEntries(
    Object.entries(service.spec?.selector ?? {}).filter(([k]) => !ignoreKeys.includes(k)),
  );
  if (Object.keys(selector).length === 0) throw new Error(`Service ${namespace}/${serviceName} has no selector`);
  if (workloadName) {
    return { service, deployment: await clients.apps.readNamespacedDeployment({ name: workloadName, namespace }) };
  }
  const labelSelector = Object.entries(selector)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const list = await clients.apps.listNamespacedDeployment({ namespace });
  const matching = list.items.filter((d) => {
    const labels = d.spec?.template.metadata?.labels ?? {};
    const name = d.metadata?.name ?? '';
    const isReleaseCopy =
      d.metadata?.annotations?.[OWNER_ANNOTATION] !== undefined || RELEASE_COPY_SUFFIXES.some((s) => name.endsWith(s));
    return Object.entries(selector).every(([k, v]) => labels[k] === v) && !isReleaseCopy;
  });
  if (matching.length !== 1) {
    throw new Error(
      `Service ${namespace}/${serviceName} (selector ${labelSelector}) must select exactly one Deployment, found ${matching.length}`,
    );
  }
  return { service, deployment: matching[0]! };
}

/**
 * A Deployment copied under a new name: the same spec with the given changes, no server-set fields, and
 * none of the original's rollout bookkeeping.
 */
export function copyDeployment(
  original: V1Deployment,
  name: string,
  change: (copy: V1Deployment) => void,
  annotations: Record<string, string>,
): V1Deployment {
  const copy: V1Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name,
      namespace: original.metadata?.namespace,
      labels: { ...(original.metadata?.labels ?? {}) },
      annotations: { ...withoutRevision(original.metadata?.annotations), ...annotations },
    },
    spec: structuredClone(original.spec!),
  };
  change(copy);
  return copy;
}

function withoutRevision(annotations: Record<string, string> = {}): Record<string, string> {
  const { ['deployment.kubernetes.io/revision']: _revision, ...rest } = annotations;
  return rest;
}

/** Sets one container's image in a Deployment object (not yet sent). */
export function withImage(deployment: V1Deployment, container: string, image: string): void {
  const c = deployment.spec?.template.spec?.containers.find((x) => x.name === container);
  if (!c) throw new Error(`Deployment ${deployment.metadata?.name} has no container "${container}"`);
  c.image = image;
}

/**
 * Creates a copy this job owns. "Already exists" is fine when an earlier attempt of the same job made
 * it (its owner annotation says so) and an error otherwise: Zadig refuses to overwrite a leftover copy.
 */
export async function createOwned(
  ctx: KubeJobContext,
  namespace: string,
  name: string,
  create: () => Promise<unknown>,
): Promise<void> {
  try {
    await create();
  } catch (err) {
    if (!isConflict(err)) throw err;
    const existing = await readDeployment(ctx.clients, namespace, name);
    if (existing?.metadata?.annotations?.[OWNER_ANNOTATION] !== ctx.owner) {
      throw new Error(`Deployment ${namespace}/${name} already exists (left by another release?)`);
    }
  }
}
