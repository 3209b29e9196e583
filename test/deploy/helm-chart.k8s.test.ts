import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { SEARCH_ATTRIBUTES } from '@stagecoach/contracts';
import { TEMPORAL_DYNAMIC_CONFIG } from '@stagecoach/stack';
import { RbacAuthorizationV1Api, type V1Job } from '@kubernetes/client-node';
import type { KubeClients } from '@stagecoach/kube';
import { testKubeClients, testNamespace } from '@stagecoach/testkit';
import { SERVICES, settingsRead } from './service-settings.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CHART = join(ROOT, 'deploy', 'helm', 'stagecoach');
const RELEASE = 'sc';
const FULLNAME = `${RELEASE}-stagecoach`;

// Distinct values, so a leak of any of them anywhere is found by a plain substring search.
const token = () => randomBytes(12).toString('hex');
const SECRETS = {
  databaseUrl: `postgres://stagecoach:${token()}@db.example.internal:5432/stagecoach`,
  adminToken: token(),
  secretKey: token(),
  smtpUrl: `smtp://mailer:${token()}@mail.example.internal:587`,
  adminPassword: token(),
};
/** Every setting differs from the chart's default, so "renders what the values say" is not a coincidence. */
const VALUES = {
  image: { repository: 'registry.example.internal/stagecoach', tag: 'test-1' },
  temporal: { address: 'temporal-frontend.temporal.svc:7233', namespace: 'stagecoach-prod' },
  nats: { url: 'nats://nats.nats.svc:4222' },
  config: {
    publicUrl: 'https://ci.example.com',
    hooksUrl: 'https://hooks.example.com',
    taskQueue: 'sc-queue',
    streamPrefix: 'prod',
    logLevel: 'warn',
    mailFrom: 'CI <ci@example.com>',
    adminUser: 'root-admin',
  },
  secrets: SECRETS,
  gateway: { replicas: 2, port: 9080, grpcPort: 9083, service: { port: 80, grpcPort: 8083 } },
  trigger: { replicas: 1, port: 9081, service: { port: 81 } },
  worker: { replicas: 1, workspace: { mountPath: '/work/jobs', sizeLimit: '5Gi' } },
  notifier: { replicas: 1 },
};

// ---------------------------------------------------------------------------------------------------------
// helm and the rendered objects

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string>; labels?: Record<string, string> };
  [field: string]: any;
}

const workDir = mkdtempSync(join(tmpdir(), 'sc-helm-test-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

function valuesFile(values: unknown): string {
  const file = join(workDir, `values-${token()}.yaml`);
  writeFileSync(file, stringify(values));
  return file;
}

function helm(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.env.STAGECOACH_HELM_BIN!, args, { maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function render(values: unknown, namespace = 'stagecoach'): Promise<K8sObject[]> {
  const result = await helm(['template', RELEASE, CHART, '--namespace', namespace, '-f', valuesFile(values)]);
  if (result.code !== 0) throw new Error(`helm template failed: ${result.stderr}`);
  return parseAllDocuments(result.stdout)
    .map((doc) => doc.toJS() as K8sObject | null)
    .filter((doc): doc is K8sObject => doc !== null);
}

async function renderError(values: unknown): Promise<string> {
  const result = await helm(['template', RELEASE, CHART, '-f', valuesFile(values)]);
  expect(result.code, `helm template should have failed; it rendered:\n${result.stdout.slice(0, 500)}`).not.toBe(0);
  return result.stderr;
}

const find = (docs: K8sObject[], kind: string, name: string): K8sObject => {
  const doc = docs.find((d) => d.kind === kind && d.metadata.name === name);
  if (!doc) throw new Error(`no ${kind} ${name} among ${docs.map((d) => `${d.kind}/${d.metadata.name}`).join(', ')}`);
  return doc;
};

/** With one key set to something else (a deep copy; `undefined` deletes it). */
function withValue(path: string, value: unknown): typeof VALUES {
  const copy = structuredClone(VALUES) as any;
  const keys = path.split('.');
  const last = keys.pop()!;
  const parent = keys.reduce((o, k) => (o[k] ??= {}), copy);
  if (value === undefined) delete parent[last];
  else parent[last] = value;
  return copy;
}

type EnvSource = { value: string } | { secret: { name: string; key: string; optional?: boolean } };

/** Every variable a container gets, and where from (envFrom ConfigMaps resolved against the rendering). */
function containerEnv(docs: K8sObject[], container: any): Map<string, EnvSource> {
  const env = new Map<string, EnvSource>();
  for (const from of container.envFrom ?? []) {
    expect(from.secretRef, 'secrets come through secretKeyRef, not envFrom').toBeUndefined();
    const data = find(docs, 'ConfigMap', from.configMapRef.name).data as Record<string, string>;
    for (const [key, value] of Object.entries(data)) env.set(key, { value });
  }
  for (const entry of container.env ?? []) {
    if (entry.value !== undefined) env.set(entry.name, { value: String(entry.value) });
    else if (entry.valueFrom?.secretKeyRef) env.set(entry.name, { secret: entry.valueFrom.secretKeyRef });
    else throw new Error(`env ${entry.name}: unexpected source ${JSON.stringify(entry.valueFrom)}`);
  }
  return env;
}

const secretValue = (docs: K8sObject[], ref: { name: string; key: string }): string | undefined => {
  const data = find(docs, 'Secret', ref.name).data as Record<string, string>;
  return data[ref.key] === undefined ? undefined : Buffer.from(data[ref.key]!, 'base64').toString('utf8');
};

const resolve = (docs: K8sObject[], source: EnvSource | undefined): string | undefined =>
  source === undefined ? undefined : 'value' in source ? source.value : secretValue(docs, source.secret);

const podSpec = (deployment: K8sObject) => deployment.spec.template.spec;

// ---------------------------------------------------------------------------------------------------------

describe('the Helm chart, rendered', () => {
  let docs: K8sObject[];
  beforeAll(async () => {
    docs = await render(VALUES);
  });

  it('passes helm lint --strict', async () => {
    const result = await helm(['lint', CHART, '--strict', '-f', valuesFile(VALUES)]);
    expect(result.stderr + result.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(result.code).toBe(0);
  });

  it('reads the settings the services really read', () => {
    // The parser above is what keeps the chart honest; it must see through spreads and direct settings.
    const gateway = settingsRead('gateway');
    expect(gateway).toContainEqual({ key: 'STAGECOACH_ADMIN_TOKEN', required: true });
    expect(gateway).toContainEqual({ key: 'GATEWAY_GRPC_PORT', required: false });
    expect(gateway).toContainEqual({ key: 'DATABASE_URL', required: false });
    expect(settingsRead('notifier')).toContainEqual({ key: 'STAGECOACH_SMTP_URL', required: false });
    expect(settingsRead('worker')).toContainEqual({ key: 'STAGECOACH_WORKSPACE_ROOT', required: false });
  });

  it.each(SERVICES)('%s: every setting the service reads is set, required ones not empty', (service) => {
    const deployment = find(docs, 'Deployment', `${FULLNAME}-${service}`);
    const [container, ...others] = podSpec(deployment).containers;
    expect(others).toEqual([]);
    expect(container.image).toBe('registry.example.internal/stagecoach:test-1');
    // The image's entrypoint is `node --import tsx`; the argument is the service, as scripts/start.ts runs it.
    expect(container.args).toEqual([`services/${service}/src/main.ts`]);
    expect(existsSync(join(ROOT, container.args[0]))).toBe(true);
    const env = containerEnv(docs, container);
    const unset = settingsRead(service).filter((s) => !env.has(s.key));
    expect(unset.map((s) => s.key)).toEqual([]);
    for (const setting of settingsRead(service).filter((s) => s.required)) {
      expect(resolve(docs, env.get(setting.key)), setting.key).toBeTruthy();
    }
  });

  it.each(SERVICES)('%s: the values given are the values the service gets', (service) => {
    const deployment = find(docs, 'Deployment', `${FULLNAME}-${service}`);
    expect(deployment.spec.replicas).toBe(VALUES[service].replicas);
    const env = containerEnv(docs, podSpec(deployment).containers[0]);
    const expected: Record<string, string> = {
      DATABASE_URL: SECRETS.databaseUrl,
      STAGECOACH_SECRET_KEY: SECRETS.secretKey,
      TEMPORAL_ADDRESS: VALUES.temporal.address,
      TEMPORAL_NAMESPACE: VALUES.temporal.namespace,
      NATS_URL: VALUES.nats.url,
      STAGECOACH_TASK_QUEUE: VALUES.config.taskQueue,
      STAGECOACH_STREAM_PREFIX: VALUES.config.streamPrefix,
      STAGECOACH_PUBLIC_URL: VALUES.config.publicUrl,
      STAGECOACH_HOOKS_URL: VALUES.config.hooksUrl,
      STAGECOACH_MAIL_FROM: VALUES.config.mailFrom,
      STAGECOACH_ADMIN_USER: VALUES.config.adminUser,
      LOG_LEVEL: VALUES.config.logLevel,
      GATEWAY_HOST: '0.0.0.0',
      GATEWAY_PORT: String(VALUES.gateway.port),
      GATEWAY_GRPC_PORT: String(VALUES.gateway.grpcPort),
      TRIGGER_HOST: '0.0.0.0',
      TRIGGER_PORT: String(VALUES.trigger.port),
      STAGECOACH_WORKSPACE_ROOT: VALUES.worker.workspace.mountPath,
      ...(service === 'gateway'
        ? { STAGECOACH_ADMIN_TOKEN: SECRETS.adminToken, STAGECOACH_ADMIN_PASSWORD: SECRETS.adminPassword }
        : {}),
      ...(service === 'worker' || service === 'notifier' ? { STAGECOACH_SMTP_URL: SECRETS.smtpUrl } : {}),
    };
    for (const { key } of settingsRead(service)) {
      expect(key in expected, `the test lacks an expected value for ${key}`).toBe(true);
      expect(resolve(docs, env.get(key)), key).toBe(expected[key]);
    }
    // Secret settings reach only the services that read them.
    const secretKeys = [...env].filter(([, source]) => 'secret' in source).map(([key]) => key);
    const readKeys = settingsRead(service).map((s) => s.key);
    expect(secretKeys.filter((key) => !readKeys.includes(key))).toEqual([]);
  });

  it('no secret value appears outside the Secrets, and services reference them by secretKeyRef', () => {
    const secrets = Object.values(SECRETS);
    const outside = docs.filter((d) => d.kind !== 'Secret');
    expect(outside.length).toBeGreaterThan(8);
    for (const doc of outside) {
      const text = JSON.stringify(doc);
      for (const secret of secrets) {
        expect(text.includes(secret), `${doc.kind}/${doc.metadata.name} holds a secret`).toBe(false);
        expect(text.includes(Buffer.from(secret).toString('base64')), `${doc.kind}/${doc.metadata.name}`).toBe(false);
      }
    }
    const chartSecret = find(docs, 'Secret', FULLNAME);
    for (const [key, value] of [
      ['DATABASE_URL', SECRETS.databaseUrl],
      ['STAGECOACH_ADMIN_TOKEN', SECRETS.adminToken],
      ['STAGECOACH_SECRET_KEY', SECRETS.secretKey],
      ['STAGECOACH_SMTP_URL', SECRETS.smtpUrl],
      ['STAGECOACH_ADMIN_PASSWORD', SECRETS.adminPassword],
    ] as const) {
      expect(secretValue(docs, { name: chartSecret.metadata.name, key })).toBe(value);
    }
    for (const service of SERVICES) {
      const env = containerEnv(docs, podSpec(find(docs, 'Deployment', `${FULLNAME}-${service}`)).containers[0]);
      const source = env.get('DATABASE_URL');
      expect(source).toEqual({ secret: { name: FULLNAME, key: 'DATABASE_URL' } });
    }
  });

  it('the gateway and trigger serve /healthz on their ports; their Services route HTTP and gRPC', () => {
    for (const [service, ports] of [
      ['gateway', { http: VALUES.gateway.port, grpc: VALUES.gateway.grpcPort }],
      ['trigger', { http: VALUES.trigger.port }],
    ] as const) {
      const container = podSpec(find(docs, 'Deployment', `${FULLNAME}-${service}`)).containers[0];
      expect(Object.fromEntries(container.ports.map((p: any) => [p.name, p.containerPort]))).toEqual(ports);
      for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
        expect(container[probe].httpGet, `${service} ${probe}`).toEqual({ path: '/healthz', port: 'http' });
      }
    }
    for (const service of ['worker', 'notifier']) {
      const container = podSpec(find(docs, 'Deployment', `${FULLNAME}-${service}`)).containers[0];
      expect(container.ports).toBeUndefined();
      expect(container.readinessProbe).toBeUndefined();
    }
    const gateway = find(docs, 'Service', `${FULLNAME}-gateway`);
    expect(gateway.spec.selector).toEqual(find(docs, 'Deployment', `${FULLNAME}-gateway`).spec.selector.matchLabels);
    expect(gateway.spec.ports.map((p: any) => [p.name, p.port, p.targetPort])).toEqual([
      ['http', 80, 'http'],
      ['grpc', 8083, 'grpc'],
    ]);
    const trigger = find(docs, 'Service', `${FULLNAME}-trigger`);
    expect(trigger.spec.selector).toEqual(find(docs, 'Deployment', `${FULLNAME}-trigger`).spec.selector.matchLabels);
    expect(trigger.spec.ports.map((p: any) => [p.name, p.port, p.targetPort])).toEqual([['http', 81, 'http']]);
  });

  it('the worker has its workspace volume, its own service account and the RBAC its jobs need', () => {
    const spec = podSpec(find(docs, 'Deployment', `${FULLNAME}-worker`));
    expect(spec.volumes).toEqual([{ name: 'workspaces', emptyDir: { sizeLimit: '5Gi' } }]);
    expect(spec.containers[0].volumeMounts).toEqual([{ name: 'workspaces', mountPath: '/work/jobs' }]);
    expect(spec.serviceAccountName).toBe(`${FULLNAME}-worker`);
    expect(spec.automountServiceAccountToken).toBe(true);
    find(docs, 'ServiceAccount', `${FULLNAME}-worker`);
    const binding = find(docs, 'ClusterRoleBinding', `stagecoach-${FULLNAME}-worker`);
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: `${FULLNAME}-worker`, namespace: 'stagecoach' }]);
    const role = find(docs, 'ClusterRole', binding.roleRef.name);
    const can = (group: string, resource: string, verb: string) =>
      role.rules.some(
        (r: any) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes(verb),
      );
    expect(can('apps', 'deployments', 'patch')).toBe(true);
    expect(can('networking.istio.io', 'virtualservices', 'create')).toBe(true);
    for (const service of ['gateway', 'trigger', 'notifier']) {
      const other = podSpec(find(docs, 'Deployment', `${FULLNAME}-${service}`));
      expect(other.serviceAccountName).toBe(FULLNAME);
      expect(other.automountServiceAccountToken).toBe(false);
    }
  });

  it('namespaced RBAC: a Role and RoleBinding per namespace instead', async () => {
    const namespaced = await render({
      ...VALUES,
      worker: { ...VALUES.worker, rbac: { clusterWide: false, namespaces: ['apps'] } },
    });
    expect(namespaced.filter((d) => d.kind.startsWith('Cluster'))).toEqual([]);
    expect(namespaced.filter((d) => d.kind === 'RoleBinding').map((d) => d.metadata.namespace)).toEqual([
      'stagecoach',
      'apps',
    ]);
  });

  it('the setup hook migrates the database, then registers the search attributes, before the release', () => {
    const job = find(docs, 'Job', `${FULLNAME}-setup`);
    expect(job.metadata.annotations!['helm.sh/hook']).toBe('pre-install,pre-upgrade');
    const spec = job.spec.template.spec;
    expect(spec.initContainers.map((c: any) => c.args)).toEqual([['packages/db/src/migrate-cli.ts']]);
    expect(spec.containers.map((c: any) => c.args)).toEqual([['packages/runs/src/search-attributes-cli.ts']]);
    for (const c of [...spec.initContainers, ...spec.containers]) expect(existsSync(join(ROOT, c.args[0]))).toBe(true);
    const migrate = containerEnv(docs, spec.initContainers[0]);
    const register = containerEnv(docs, spec.containers[0]);
    expect(resolve(docs, migrate.get('DATABASE_URL'))).toBe(SECRETS.databaseUrl);
    expect(resolve(docs, register.get('TEMPORAL_ADDRESS'))).toBe(VALUES.temporal.address);
    expect(resolve(docs, register.get('TEMPORAL_NAMESPACE'))).toBe(VALUES.temporal.namespace);
    // Its Secret is a hook too, created before it: the release's own Secret does not exist yet at install.
    const secretName = (migrate.get('DATABASE_URL') as { secret: { name: string } }).secret.name;
    const hookSecret = find(docs, 'Secret', secretName);
    expect(hookSecret.metadata.annotations!['helm.sh/hook']).toBe('pre-install,pre-upgrade');
    expect(Number(hookSecret.metadata.annotations!['helm.sh/hook-weight'])).toBeLessThan(
      Number(job.metadata.annotations!['helm.sh/hook-weight']),
    );
    // No service account of the release either.
    expect(spec.serviceAccountName).toBeUndefined();
  });

  it('deploy/README.md names every dynamic config setting and search attribute the Temporal cluster needs', () => {
    const readme = readFileSync(join(ROOT, 'deploy', 'README.md'), 'utf8');
    for (const setting of TEMPORAL_DYNAMIC_CONFIG) expect(readme).toContain(setting.replace('=', ': '));
    for (const { name, type } of SEARCH_ATTRIBUTES)
      expect(readme).toMatch(new RegExp(`\`${name}\` \\(${type}\\)`, 'i'));
  });

  it('a missing required value stops rendering with a message naming it', async () => {
    for (const [path, message] of [
      ['temporal.address', 'temporal.address is required'],
      ['nats.url', 'nats.url is required'],
      ['config.publicUrl', 'config.publicUrl is required'],
      ['secrets.databaseUrl', 'secrets.databaseUrl is required'],
      ['secrets.adminToken', 'secrets.adminToken is required'],
      ['secrets.secretKey', 'secrets.secretKey is required'],
    ] as const) {
      expect(await renderError(withValue(path, undefined)), path).toContain(message);
    }
  });

  it('a bad value fails the schema with a message naming it', async () => {
    for (const [path, value] of [
      ['temporal.address', 'http://temporal:7233'],
      ['nats.url', 'nats.nats.svc:4222'],
      ['config.logLevel', 'verbose'],
      ['gateway.replicas', -1],
      ['trigger.port', 70000],
      ['secrets.databaseUrl', 'mysql://db/stagecoach'],
    ] as const) {
      const stderr = await renderError(withValue(path, value));
      expect(stderr, path).toContain(`/${path.replace('.', '/')}`);
    }
    expect(await renderError({ ...VALUES, temporall: { address: 'x:1' } })).toContain('temporall');
  });

  it('existingSecret: no Secret of the chart, every reference points at the given one', async () => {
    const { secrets: _, ...rest } = VALUES;
    const rendered = await render({ ...rest, existingSecret: 'stagecoach-prod-secrets' });
    expect(rendered.filter((d) => d.kind === 'Secret')).toEqual([]);
    const refs: string[] = [];
    const collect = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(collect);
      else if (node && typeof node === 'object') {
        const ref = (node as { secretKeyRef?: { name: string } }).secretKeyRef;
        if (ref) refs.push(ref.name);
        Object.values(node).forEach(collect);
      }
    };
    collect(rendered);
    // four services' DATABASE_URL and STAGECOACH_SECRET_KEY at least, plus the hook's DATABASE_URL
    expect(refs.length).toBeGreaterThanOrEqual(9);
    expect(new Set(refs)).toEqual(new Set(['stagecoach-prod-secrets']));
  });
});

// ---------------------------------------------------------------------------------------------------------

describe('the Helm chart, installed into the test cluster', () => {
  let clients: KubeClients;
  let namespace: string;
  beforeAll(async () => {
    clients = testKubeClients();
    namespace = await testNamespace(clients, 'helm');
  });

  const deployments = async () =>
    (
      await clients.apps.listNamespacedDeployment({
        namespace,
        labelSelector: `app.kubernetes.io/instance=${RELEASE}`,
      })
    ).items;
  const checksums = async (service: string) => {
    const d = await clients.apps.readNamespacedDeployment({ name: `${FULLNAME}-${service}`, namespace });
    const annotations = d.spec!.template.metadata!.annotations!;
    return { config: annotations['checksum/config'], secret: annotations['checksum/secret'] };
  };
  /**
   * Runs a helm command while watching the setup Job: which of its conditions turned true, and whether it
   * was deleted (hook-succeeded) — helm removes it as soon as it completes, so a poll could miss it.
   */
  async function withSetupJobWatched(args: string[]) {
    const seen = new Set<string>();
    const controller = await clients.watcher.watch(
      `/apis/batch/v1/namespaces/${namespace}/jobs`,
      { fieldSelector: `metadata.name=${FULLNAME}-setup` },
      (phase: string, job: V1Job) => {
        seen.add(phase);
        for (const c of job.status?.conditions ?? []) if (c.status === 'True') seen.add(c.type);
      },
      () => undefined,
    );
    try {
      const result = await helm([...args, '--namespace', namespace, '--wait', '--timeout', '3m']);
      // The DELETED event may trail helm's exit by a moment.
      for (let i = 0; i < 50 && !seen.has('DELETED'); i++) await new Promise((r) => setTimeout(r, 100));
      return { ...result, seen };
    } finally {
      controller.abort();
    }
  }

  it('helm install: the setup hook completes, the four Deployments become available, the Services exist', async () => {
    const install = await withSetupJobWatched(['install', RELEASE, CHART, '-f', valuesFile(VALUES)]);
    expect(install.stderr).toBe('');
    expect(install.code).toBe(0);
    expect([...install.seen]).toEqual(expect.arrayContaining(['ADDED', 'Complete', 'DELETED']));
    // hook-succeeded: the Job and its Secret are gone once the release is in.
    const jobs = await clients.batch.listNamespacedJob({ namespace });
    expect(jobs.items.map((j) => j.metadata!.name)).toEqual([]);
    const secrets = await clients.core.listNamespacedSecret({ namespace });
    expect(secrets.items.map((s) => s.metadata!.name).filter((n) => n!.startsWith(FULLNAME))).toEqual([FULLNAME]);

    const list = await deployments();
    expect(list.map((d) => d.metadata!.name).sort()).toEqual(SERVICES.map((s) => `${FULLNAME}-${s}`).sort());
    for (const d of list) {
      expect(d.status?.availableReplicas, d.metadata!.name).toBe(d.spec!.replicas);
      expect(d.status?.conditions?.find((c) => c.type === 'Available')?.status).toBe('True');
    }
    const gateway = await clients.core.readNamespacedService({ name: `${FULLNAME}-gateway`, namespace });
    expect(gateway.spec!.ports!.map((p) => p.port)).toEqual([80, 8083]);
    const trigger = await clients.core.readNamespacedService({ name: `${FULLNAME}-trigger`, namespace });
    expect(trigger.spec!.ports!.map((p) => p.port)).toEqual([81]);
    const pods = await clients.core.listNamespacedPod({
      namespace,
      labelSelector: `app.kubernetes.io/instance=${RELEASE}`,
    });
    expect(pods.items.filter((p) => p.status?.phase === 'Running')).toHaveLength(5);
  });

  it('helm upgrade: the same values keep the pods, a changed setting or secret rolls them', async () => {
    const before = await checksums('worker');
    const same = await withSetupJobWatched(['upgrade', RELEASE, CHART, '-f', valuesFile(VALUES)]);
    expect(same.code).toBe(0);
    expect([...same.seen]).toEqual(expect.arrayContaining(['ADDED', 'Complete', 'DELETED']));
    expect(await checksums('worker')).toEqual(before);

    const changed = await withSetupJobWatched([
      'upgrade',
      RELEASE,
      CHART,
      '-f',
      valuesFile(withValue('config.logLevel', 'debug')),
    ]);
    expect(changed.code).toBe(0);
    const afterConfig = await checksums('worker');
    expect(afterConfig.config).not.toBe(before.config);
    expect(afterConfig.secret).toBe(before.secret);
    const config = await clients.core.readNamespacedConfigMap({ name: `${FULLNAME}-config`, namespace });
    expect(config.data!.LOG_LEVEL).toBe('debug');

    const rotated = await withSetupJobWatched([
      'upgrade',
      RELEASE,
      CHART,
      '-f',
      valuesFile({ ...withValue('config.logLevel', 'debug'), secrets: { ...SECRETS, adminToken: token() } }),
    ]);
    expect(rotated.code).toBe(0);
    const afterSecret = await checksums('gateway');
    expect(afterSecret.secret).not.toBe(before.secret);
    // helm's --wait reads the new ReplicaSets; each Deployment's own status is written by its controller a
    // moment later, so it is read once it has settled (or after 30 s, to fail on what it says then).
    const rolled = (ds: Awaited<ReturnType<typeof deployments>>) =>
      ds.every(
        (d) => d.status?.updatedReplicas === d.spec!.replicas && d.status?.availableReplicas === d.spec!.replicas,
      );
    let list = await deployments();
    for (const deadline = Date.now() + 30_000; !rolled(list) && Date.now() < deadline; list = await deployments()) {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    for (const d of list) {
      expect(d.status?.updatedReplicas, d.metadata!.name).toBe(d.spec!.replicas);
      expect(d.status?.availableReplicas, d.metadata!.name).toBe(d.spec!.replicas);
    }
  });

  it('a setup Job that fails stops the install before anything of the release exists', async () => {
    // kwok fails pods carrying its chaos label instead of completing them (the testbed's chaos stage).
    const failing = await testNamespace(clients, 'helm-fail');
    const values = {
      ...VALUES,
      setup: { backoffLimit: 0 },
      podLabels: { 'pod-container-running-failed.stage.kwok.x-k8s.io': 'true' },
    };
    const result = await helm([
      'install',
      RELEASE,
      CHART,
      '-f',
      valuesFile(values),
      '--namespace',
      failing,
      '--wait',
      '--timeout',
      '2m',
    ]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('pre-install');
    expect(result.stderr).toContain(`${FULLNAME}-setup`);
    const left = await clients.apps.listNamespacedDeployment({ namespace: failing });
    expect(left.items).toEqual([]);
    // The failed Job stays for its logs; the next attempt replaces it.
    const job = await clients.batch.readNamespacedJob({ name: `${FULLNAME}-setup`, namespace: failing });
    expect(job.status?.conditions?.find((c) => c.type === 'Failed')?.status).toBe('True');
    await helm(['uninstall', RELEASE, '--namespace', failing]);
  });

  it('helm uninstall removes what the release created', async () => {
    const result = await helm(['uninstall', RELEASE, '--namespace', namespace, '--wait', '--timeout', '2m']);
    expect(result.code).toBe(0);
    expect(await deployments()).toEqual([]);
    const left = await Promise.all([
      clients.core.listNamespacedService({ namespace }),
      clients.core.listNamespacedConfigMap({ namespace }),
      clients.core.listNamespacedSecret({ namespace }),
      clients.core.listNamespacedServiceAccount({ namespace }),
      clients.batch.listNamespacedJob({ namespace }),
    ]);
    const names = left.flatMap((l) => l.items.map((i) => i.metadata!.name!)).filter((n) => n.startsWith(RELEASE));
    expect(names).toEqual([]);
    const clusterRoles = await clients.kc.makeApiClient(RbacAuthorizationV1Api).listClusterRole();
    expect(clusterRoles.items.filter((r) => r.metadata!.name!.includes(FULLNAME))).toEqual([]);
  });
});
