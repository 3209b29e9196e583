import type { V1Deployment, V1PodTemplateSpec, V1StatefulSet } from '@kubernetes/client-node';
import { ignoreNotFound, STRATEGIC_MERGE_PATCH, type KubeClients } from './client.js';
import { readOrUndefined, waitForObject, type Verdict, type WaitOptions } from './wait.js';

export const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'CronJob'] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

/**
 * kubectl's rollout-status rule for a Deployment: the controller has seen the latest spec, every replica
 * runs the new template, no old replica is left, and every new one is available.
 */
export function deploymentRollout(d: V1Deployment | undefined): Verdict {
  if (!d) return { failed: 'the Deployment was deleted' };
  const generation = d.metadata?.generation ?? 0;
  const status = d.status ?? {};
  if ((status.observedGeneration ?? 0) < generation)
    return { done: false, waitingFor: 'the controller to observe the update' };
  const progressing = status.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return { failed: `rollout exceeded its progress deadline: ${progressing.message ?? ''}` };
  }
  const want = d.spec?.replicas ?? 1;
  const updated = status.updatedReplicas ?? 0;
  if (updated < want) return { done: false, waitingFor: `${updated} of ${want} new replicas to be updated` };
  if ((status.replicas ?? 0) > updated) {
    return { done: false, waitingFor: `${(status.replicas ?? 0) - updated} old replicas to terminate` };
  }
  if ((status.availableReplicas ?? 0) < updated) {
    return {
      done: false,
      waitingFor: `${status.availableReplicas ?? 0} of ${updated} updated replicas to be available`,
    };
  }
  return { done: true };
}

/** kubectl's rule for a rolling StatefulSet: all replicas ready and on the update revision. */
export function statefulSetRollout(s: V1StatefulSet | undefined): Verdict {
  if (!s) return { failed: 'the StatefulSet was deleted' };
  const status = s.status ?? { replicas: 0 };
  if ((status.observedGeneration ?? 0) < (s.metadata?.generation ?? 0)) {
    return { done: false, waitingFor: 'the controller to observe the update' };
  }
  const want = s.spec?.replicas ?? 1;
  if ((status.readyReplicas ?? 0) < want)
    return { done: false, waitingFor: `${status.readyReplicas ?? 0} of ${want} pods to be ready` };
  if (s.spec?.updateStrategy?.type === 'RollingUpdate') {
    const partition = s.spec.updateStrategy.rollingUpdate?.partition ?? 0;
    if ((status.updatedReplicas ?? 0) < want - partition) {
      return { done: false, waitingFor: `${status.updatedReplicas ?? 0} of ${want - partition} pods to be updated` };
    }
    if (partition === 0 && status.updateRevision !== status.currentRevision) {
      return { done: false, waitingFor: 'the update revision to become current' };
    }
  }
  return { done: true };
}

export async function readDeployment(clients: KubeClients, namespace: string, name: string) {
  return readOrUndefined(() => clients.apps.readNamespacedDeployment({ name, namespace }));
}

export async function waitDeploymentReady(
  clients: KubeClients,
  namespace: string,
  name: string,
  options: WaitOptions,
): Promise<V1Deployment> {
  const d = await waitForObject(
    clients,
    `Deployment ${namespace}/${name}`,
    `/apis/apps/v1/namespaces/${namespace}/deployments`,
    name,
    () => readDeployment(clients, namespace, name),
    deploymentRollout,
    options,
  );
  return d!;
}

export async function waitStatefulSetReady(
  clients: KubeClients,
  namespace: string,
  name: string,
  options: WaitOptions,
): Promise<void> {
  await waitForObject(
    clients,
    `StatefulSet ${namespace}/${name}`,
    `/apis/apps/v1/namespaces/${namespace}/statefulsets`,
    name,
    () => readOrUndefined(() => clients.apps.readNamespacedStatefulSet({ name, namespace })),
    statefulSetRollout,
    options,
  );
}

/** Waits until the named Deployment is gone (a delete with foreground propagation takes its pods first). */
export async function waitDeploymentGone(
  clients: KubeClients,
  namespace: string,
  name: string,
  options: WaitOptions,
): Promise<void> {
  await waitForObject(
    clients,
    `Deployment ${namespace}/${name}`,
    `/apis/apps/v1/namespaces/${namespace}/deployments`,
    name,
    () => readDeployment(clients, namespace, name),
    (d) => (d ? { done: false, waitingFor: 'the Deployment to be deleted' } : { done: true }),
    options,
  );
}

export async function waitWorkloadReady(
  clients: KubeClients,
  namespace: string,
  kind: WorkloadKind,
  name: string,
  options: WaitOptions,
): Promise<void> {
  if (kind === 'Deployment') await waitDeploymentReady(clients, namespace, name, options);
  else if (kind === 'StatefulSet') await waitStatefulSetReady(clients, namespace, name, options);
  // A CronJob has nothing running to wait for: its next Job uses the new template.
}

/** The pod template of a workload, and how to reach it in a strategic-merge patch. */
function templatePatch(kind: WorkloadKind, template: V1PodTemplateSpec): object {
  return kind === 'CronJob' ? { spec: { jobTemplate: { spec: { template } } } } : { spec: { template } };
}

export async function readWorkloadTemplate(
  clients: KubeClients,
  namespace: string,
  kind: WorkloadKind,
  name: string,
): Promise<V1PodTemplateSpec> {
  switch (kind) {
    case 'Deployment':
      return (await clients.apps.readNamespacedDeployment({ name, namespace })).spec!.template;
    case 'StatefulSet':
      return (await clients.apps.readNamespacedStatefulSet({ name, namespace })).spec!.template;
    case 'CronJob':
      return (await clients.batch.readNamespacedCronJob({ name, namespace })).spec!.jobTemplate.spec!.template;
  }
}

export async function patchWorkload(
  clients: KubeClients,
  namespace: string,
  kind: WorkloadKind,
  name: string,
  body: object,
): Promise<void> {
  switch (kind) {
    case 'Deployment':
      await clients.apps.patchNamespacedDeployment({ name, namespace, body }, STRATEGIC_MERGE_PATCH);
      return;
    case 'StatefulSet':
      await clients.apps.patchNamespacedStatefulSet({ name, namespace, body }, STRATEGIC_MERGE_PATCH);
      return;
    case 'CronJob':
      await clients.batch.patchNamespacedCronJob({ name, namespace, body }, STRATEGIC_MERGE_PATCH);
      return;
  }
}

/** Sets one container's image (Zadig's UpdateDeploymentImage and friends); the container must exist. */
export async function setContainerImage(
  clients: KubeClients,
  namespace: string,
  kind: WorkloadKind,
  name: string,
  container: string,
  image: string,
): Promise<void> {
  const template = await readWorkloadTemplate(clients, namespace, kind, name);
  const found = [...(template.spec?.containers ?? []), ...(template.spec?.initContainers ?? [])];
  if (!found.some((c) => c.name === container)) {
    throw new Error(
      `${kind} ${namespace}/${name} has no container "${container}" (it has ${found.map((c) => c.name).join(', ')})`,
    );
  }
  const isInit = !(template.spec?.containers ?? []).some((c) => c.name === container);
  const spec = isInit ? { initContainers: [{ name: container, image }] } : { containers: [{ name: container, image }] };
  await patchWorkload(clients, namespace, kind, name, templatePatch(kind, { spec } as V1PodTemplateSpec));
}

/** `kubectl rollout restart`: a new template annotation makes the controller replace every pod. */
export async function restartWorkload(
  clients: KubeClients,
  namespace: string,
  kind: 'Deployment' | 'StatefulSet',
  name: string,
  at: Date,
): Promise<void> {
  const template = { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': at.toISOString() } } };
  await patchWorkload(clients, namespace, kind, name, { spec: { template } });
}

export function containerImage(template: V1PodTemplateSpec, container: string): string | undefined {
  return template.spec?.containers.find((c) => c.name === container)?.image;
}

export async function scaleDeployment(
  clients: KubeClients,
  namespace: string,
  name: string,
  replicas: number,
): Promise<void> {
  await clients.apps.patchNamespacedDeployment(
    { name, namespace, body: { spec: { replicas } } },
    STRATEGIC_MERGE_PATCH,
  );
}

export async function annotateDeployment(
  clients: KubeClients,
  namespace: string,
  name: string,
  annotations: Record<string, string>,
): Promise<void> {
  await clients.apps.patchNamespacedDeployment(
    { name, namespace, body: { metadata: { annotations } } },
    STRATEGIC_MERGE_PATCH,
  );
}

/** Deletes a Deployment (its pods first) and waits until it is gone; one already gone is fine. */
export async function deleteAndWait(
  clients: KubeClients,
  namespace: string,
  name: string,
  wait: WaitOptions,
): Promise<void> {
  await ignoreNotFound(clients.apps.deleteNamespacedDeployment({ name, namespace, propagationPolicy: 'Foreground' }));
  await waitDeploymentGone(clients, namespace, name, wait);
}
