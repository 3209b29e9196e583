import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandLine, listProcesses } from '@stagecoach/launcher';
import { testJobContext, testKubeClients, testNamespace } from '@stagecoach/testkit';
import type { KubeClients } from '../client.js';
import { helmBinary, runHelmChartDeploy } from './helm.js';

let clients: KubeClients;
let repo: Server;
let repoUrl: string;
const requested: string[] = [];

/** A chart with one Deployment whose image, replicas and pod labels come from values. */
function writeChart(dir: string, version: string): string {
  const chart = join(dir, 'web');
  mkdirSync(join(chart, 'templates'), { recursive: true });
  writeFileSync(
    join(chart, 'Chart.yaml'),
    `apiVersion: v2\nname: web\nversion: ${version}\nappVersion: "${version}"\n`,
  );
  writeFileSync(
    join(chart, 'values.yaml'),
    'image: registry.local/web:v1\nreplicas: 2\nnodeSelector: {}\npodLabels: {}\n',
  );
  writeFileSync(
    join(chart, 'templates', 'deployment.yaml'),
    [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata:',
      '  name: {{ .Release.Name }}',
      'spec:',
      '  replicas: {{ .Values.replicas }}',
      '  selector:',
      '    matchLabels: {app: {{ .Release.Name }}}',
      '  template:',
      '    metadata:',
      '      labels:',
      '        app: {{ .Release.Name }}',
      '        {{- range $k, $v := .Values.podLabels }}',
      '        {{ $k }}: {{ $v | quote }}',
      '        {{- end }}',
      '    spec:',
      '      nodeSelector: {{ toJson .Values.nodeSelector }}',
      '      containers:',
      '        - name: web',
      '          image: {{ .Values.image }}',
      '',
    ].join('\n'),
  );
  return chart;
}

beforeAll(async () => {
  clients = testKubeClients();
  // A chart repository as Helm expects one: index.yaml plus packaged charts, over HTTP.
  const dir = mkdtempSync(join(tmpdir(), 'chart-repo-'));
  const src = mkdtempSync(join(tmpdir(), 'chart-src-'));
  execFileSync(helmBinary(), ['package', writeChart(src, '1.0.0'), '--destination', dir]);
  repo = createServer((req, res) => {
    requested.push(req.url ?? '');
    try {
      res.end(readFileSync(join(dir, (req.url ?? '/').slice(1))));
    } catch {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((r) => repo.listen(0, '127.0.0.1', r));
  const port = (repo.address() as { port: number }).port;
  repoUrl = `http://127.0.0.1:${port}`;
  execFileSync(helmBinary(), ['repo', 'index', dir, '--url', repoUrl]);
});

afterAll(async () => {
  await new Promise((r) => repo.close(r));
});

const release = async (ns: string, name: string) =>
  clients.apps.readNamespacedDeployment({ name, namespace: ns }).then(
    (d) => d,
    () => undefined,
  );

/** A namespace of its own with release `name` of a local chart installed at revision 1 (image web:v1). */
async function installedRelease(name: string) {
  const ns = await testNamespace(clients, 'helm');
  const chart = { release_name: name, chart_name: writeChart(mkdtempSync(join(tmpdir(), 'chart-local-')), '1.0.0') };
  await runHelmChartDeploy(testJobContext(clients), { namespace: ns, deploy_helm_charts: [chart] });
  return { ns, chart };
}

describe('zadig-helm-chart-deploy', () => {
  it('installs from a chart repository, upgrades with values and overrides, and waits for workloads', async () => {
    const ns = await testNamespace(clients, 'helm');
    const chart = { release_name: 'shop', chart_repo: repoUrl, chart_name: 'web', chart_version: '1.0.0' };
    const first = await runHelmChartDeploy(testJobContext(clients), { namespace: ns, deploy_helm_charts: [chart] });
    expect(first).toEqual({ shop_REVISION: '1' });
    expect(requested).toContain('/index.yaml');
    expect((await release(ns, 'shop'))!.status!.readyReplicas).toBe(2);

    const second = await runHelmChartDeploy(testJobContext(clients), {
      namespace: ns,
      deploy_helm_charts: [
        { ...chart, values_yaml: 'replicas: 3\n', override_kvs: [{ key: 'image', value: 'registry.local/web:v2' }] },
      ],
    });
    expect(second).toEqual({ shop_REVISION: '2' });
    const d = (await release(ns, 'shop'))!;
    expect(d.spec!.replicas).toBe(3);
    expect(d.spec!.template.spec!.containers[0]!.image).toBe('registry.local/web:v2');
    // What `helm --wait` promises: the new ReplicaSet's pods are ready. The old one may still be scaling
    // down (the Deployment's surge pod can count as ready a moment longer).
    const sets = await clients.apps.listNamespacedReplicaSet({ namespace: ns });
    const current = sets.items.find((rs) => rs.spec?.template?.spec?.containers[0]?.image === 'registry.local/web:v2');
    expect(current?.status?.readyReplicas).toBe(3);
  });

  it('rolls a failed upgrade back to the revision it had, and uninstalls a failed first install', async () => {
    const { ns, chart } = await installedRelease('svc');
    // No node carries this label: the new pods stay Pending and the upgrade's --wait cannot succeed.
    const failing = 'nodeSelector:\n  pool: nonexistent\nimage: registry.local/web:bad\n';
    const ctx = testJobContext(clients);
    await expect(
      runHelmChartDeploy(ctx, {
        namespace: ns,
        timeout: 0.1,
        deploy_helm_charts: [{ ...chart, values_yaml: failing }],
      }),
    ).rejects.toThrow(/helm upgrade failed/);
    expect(ctx.lines.join('\n')).toMatch(/rolled back to revision 1/);
    expect((await release(ns, 'svc'))!.spec!.template.spec!.containers[0]!.image).toBe('registry.local/web:v1');

    const fresh = testJobContext(clients);
    await expect(
      runHelmChartDeploy(fresh, {
        namespace: ns,
        timeout: 0.1,
        deploy_helm_charts: [{ release_name: 'new', chart_name: chart.chart_name, values_yaml: failing }],
      }),
    ).rejects.toThrow(/helm upgrade failed/);
    expect(fresh.lines.join('\n')).toMatch(/uninstalled/);
    expect(await release(ns, 'new')).toBeUndefined();
  });

  it('a cancel stops the waiting helm at once and rolls the release back', async () => {
    const { ns, chart } = await installedRelease('api');
    // Pods no node can take: the upgrade waits for its full five minutes unless stopped.
    const stuck = 'nodeSelector:\n  pool: nonexistent\nimage: registry.local/web:stuck\n';
    const cancel = new AbortController();
    const ctx = testJobContext(clients, { signal: cancel.signal });
    const deploying = runHelmChartDeploy(ctx, {
      namespace: ns,
      timeout: 5,
      deploy_helm_charts: [{ ...chart, values_yaml: stuck }],
    });
    // Cancel once the upgrade is in the cluster, so helm is the one waiting.
    await expect
      .poll(async () => (await release(ns, 'api'))?.spec?.template.spec?.containers[0]?.image, { timeout: 20_000 })
      .toBe('registry.local/web:stuck');
    // helm was started by the launcher's helper, not forked from this (the worker's) process.
    const helm = listProcesses().filter((p) => {
      const args = commandLine(p.pid);
      return args?.[0] === helmBinary() && args.includes('upgrade');
    });
    expect(helm).toHaveLength(1);
    expect(helm[0]!.ppid).not.toBe(process.pid);
    cancel.abort(new Error('run cancelled'));
    await expect(deploying).rejects.toThrow('run cancelled');
    expect(ctx.lines.join('\n')).toMatch(/rolled back to revision 1/);
    expect((await release(ns, 'api'))!.spec!.template.spec!.containers[0]!.image).toBe('registry.local/web:v1');
  });
});
