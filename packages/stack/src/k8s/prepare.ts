import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { ApiextensionsV1Api, CoreV1Api, KubeConfig, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { waitFor } from '../processes.js';

/** Polls until `check` holds; a failing check (an object not there yet) counts as not yet. */
const until = (what: string, check: () => Promise<boolean>) => waitFor(what, () => check().catch(() => false), 60_000);

/** The Istio kinds the release jobs drive; the other CRDs of the upstream file are left out. */
const ISTIO_CRDS = new Set(['virtualservices.networking.istio.io', 'destinationrules.networking.istio.io']);

export function kubeConfigFor(server: string, token: string, caPem: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'local', server, caData: Buffer.from(caPem).toString('base64'), skipTLSVerify: false }],
    users: [{ name: 'admin', token }],
    contexts: [{ name: 'local', cluster: 'local', user: 'admin' }],
    currentContext: 'local',
  });
  return kc;
}

/** Fake nodes kwok manages, Istio's CRDs, and the `default` service account: what tests take for granted. */
export async function prepareCluster(options: {
  server: string;
  token: string;
  caPem: string;
  nodes: number;
  istioCrds: string;
}): Promise<void> {
  const kc = kubeConfigFor(options.server, options.token, options.caPem);
  const core = kc.makeApiClient(CoreV1Api);
  const ext = kc.makeApiClient(ApiextensionsV1Api);

  for (let i = 0; i < options.nodes; i++) {
    await core.createNode({
      body: {
        metadata: {
          name: `kwok-node-${i}`,
          annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
          labels: { type: 'kwok', 'kubernetes.io/hostname': `kwok-node-${i}`, 'kubernetes.io/os': 'linux' },
        },
        status: {
          capacity: { cpu: '32', memory: '256Gi', pods: '110' },
          allocatable: { cpu: '32', memory: '256Gi', pods: '110' },
        },
      },
    });
  }

  const crds = parseAllDocuments(readFileSync(options.istioCrds, 'utf8'))
    .map((doc) => doc.toJS() as V1CustomResourceDefinition | null)
    .filter((crd): crd is V1CustomResourceDefinition => !!crd && ISTIO_CRDS.has(crd.metadata?.name ?? ''));
  if (crds.length !== ISTIO_CRDS.size) throw new Error(`the Istio CRD file lacks ${[...ISTIO_CRDS].join(' or ')}`);
  // create, not apply: DestinationRule's schema is larger than the last-applied annotation allows. Sent
  // as is: the typed client would drop the schema's `x-kubernetes-*` keys it has other names for.
  for (const crd of crds) {
    await postJson(options, '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
  }

  await until('fake nodes Ready', async () => {
    const nodes = await core.listNode();
    return (
      nodes.items.length >= options.nodes &&
      nodes.items.every(
        (n) =>
          n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') &&
          !n.spec?.taints?.some((t) => t.key === 'node.kubernetes.io/not-ready'),
      )
    );
  });
  await until('Istio CRDs established', async () => {
    for (const name of ISTIO_CRDS) {
      const crd = await ext.readCustomResourceDefinition({ name });
      if (!crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) return false;
    }
    return true;
  });
  await until('the default service account', async () => {
    const accounts = await core.listNamespacedServiceAccount({ namespace: 'default' });
    return accounts.items.some((a) => a.metadata?.name === 'default');
  });
}

function postJson(
  target: { server: string; token: string; caPem: string },
  path: string,
  body: unknown,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, target.server),
      {
        method: 'POST',
        ca: target.caPem,
        headers: { authorization: `Bearer ${target.token}`, 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () =>
          (res.statusCode ?? 500) < 300 ? resolve() : reject(new Error(`POST ${path}: ${res.statusCode} ${text}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}
