import { randomBytes } from 'node:crypto';
import type { V1Deployment, V1Service } from '@kubernetes/client-node';
import { defaultKubeConfig, KubeClients, waitDeploymentReady, type KubeJobContext } from '@stagecoach/kube';
import { waitFor } from '@stagecoach/stack';

/** Clients for the k8s project's control plane (KUBECONFIG, set by its global setup). */
export function testKubeClients(): KubeClients {
  return new KubeClients(defaultKubeConfig());
}

/** A fresh namespace per test, with its `default` service account in place (pods need it). */
export async function testNamespace(clients: KubeClients, prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await clients.core.createNamespace({ body: { metadata: { name } } });
  await waitFor(
    `the default service account of namespace ${name}`,
    async () =>
      (await clients.core.listNamespacedServiceAccount({ namespace: name })).items.some(
        (a) => a.metadata?.name === 'default',
      ),
    30_000,
  );
  return name;
}

/**
 * A Deployment and the Service in front of it, rolled out: what users' applications look like before a
 * release. Pods carry `app=<name>` (and any extra template labels).
 */
export async function deployApp(
  clients: KubeClients,
  namespace: string,
  name: string,
  options: {
    replicas?: number;
    image?: string;
    templateLabels?: Record<string, string>;
    serviceLabels?: Record<string, string>;
  } = {},
): Promise<{ deployment: V1Deployment; service: V1Service }> {
  const labels = { app: name };
  const deployment = await clients.apps.createNamespacedDeployment({
    namespace,
    body: {
      metadata: { name, labels: { ...labels, ...options.serviceLabels } },
      spec: {
        replicas: options.replicas ?? 2,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels: { ...labels, ...options.templateLabels } },
          spec: { containers: [{ name: 'app', image: options.image ?? 'registry.local/app:v1' }] },
        },
      },
    },
  });
  const service = await clients.core.createNamespacedService({
    namespace,
    body: {
      metadata: { name, labels: { ...options.serviceLabels } },
      spec: { selector: labels, ports: [{ port: 80, targetPort: 8080 }] },
    },
  });
  await waitDeploymentReady(clients, namespace, name, { deadline: Date.now() + 60_000 });
  return { deployment, service };
}

/** What a namespace's release-relevant state is, minus what the server changes on its own. */
export async function clusterState(clients: KubeClients, namespace: string) {
  const [deployments, services, pods] = await Promise.all([
    clients.apps.listNamespacedDeployment({ namespace }),
    clients.core.listNamespacedService({ namespace }),
    clients.core.listNamespacedPod({ namespace }),
  ]);
  return {
    deployments: deployments.items
      .map((d) => ({
        name: d.metadata?.name,
        labels: d.metadata?.labels,
        replicas: d.spec?.replicas,
        selector: d.spec?.selector,
        template: d.spec?.template,
      }))
      .sort((a, b) => String(a.name).localeCompare(String(b.name))),
    services: services.items
      .map((s) => ({ name: s.metadata?.name, selector: s.spec?.selector, ports: s.spec?.ports }))
      .sort((a, b) => String(a.name).localeCompare(String(b.name))),
    pods: pods.items
      .filter((p) => !p.metadata?.deletionTimestamp)
      .map((p) => ({ name: p.metadata?.name, labels: p.metadata?.labels }))
      .sort((a, b) => String(a.name).localeCompare(String(b.name))),
  };
}

/** A job context for calling a job function directly, recording its log and heartbeats. */
export function testJobContext(
  clients: KubeClients,
  options: { completed?: string[]; signal?: AbortSignal; owner?: string } = {},
): KubeJobContext & { lines: string[]; beats: Array<{ steps: string[] }> } {
  const lines: string[] = [];
  const beats: Array<{ steps: string[] }> = [];
  return {
    clients,
    signal: options.signal ?? new AbortController().signal,
    heartbeat: (d) => beats.push(d),
    log: (line) => lines.push(line),
    completed: new Set(options.completed ?? []),
    owner: options.owner ?? 'run-1/job',
    now: () => new Date(),
    lines,
    beats,
  };
}
