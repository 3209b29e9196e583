import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killProcessGroup, processLauncher } from '@stagecoach/launcher';
import { DEFAULT_DEPLOY_TIMEOUT_MINUTES, type HelmChart, type HelmChartDeploySpec } from '@stagecoach/spec';
import type { KubeJobContext } from '../job-context.js';

/** The helm binary: STAGECOACH_HELM_BIN, else `helm` on PATH. */
export function helmBinary(): string {
  return process.env.STAGECOACH_HELM_BIN || 'helm';
}

/**
 * Zadig's `zadig-helm-chart-deploy`: `helm upgrade --install` of each chart (from a chart repository URL or
 * a local chart) with its values and overrides, waiting for its workloads unless `skip_check_run_status`.
 * A chart that fails, times out or is cancelled is compensated at once: rolled back to the revision it had,
 * or uninstalled if this run installed it.
 */
export async function runHelmChartDeploy(
  ctx: KubeJobContext,
  spec: HelmChartDeploySpec,
): Promise<Record<string, string>> {
  const dir = mkdtempSync(join(tmpdir(), 'stagecoach-helm-'));
  try {
    // helm reads the cluster from a kubeconfig file: ours lives only for this job, readable by us alone.
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, ctx.clients.kc.exportConfig(), { mode: 0o600 });
    const helm = (args: string[], signal?: AbortSignal) => runHelm([...args, '--kubeconfig', kubeconfig], ctx, signal);
    const outputs: Record<string, string> = {};
    for (const chart of spec.deploy_helm_charts) {
      const previous = await lastRevision(helm, chart.release_name, spec.namespace);
      const valuesFile = join(dir, `${chart.release_name}.values.yaml`);
      writeFileSync(valuesFile, chart.values_yaml ?? '');
      const minutes = spec.timeout || DEFAULT_DEPLOY_TIMEOUT_MINUTES;
      try {
        await helm(upgradeArgs(chart, spec, valuesFile, minutes), ctx.signal);
      } catch (err) {
        await compensate(helm, ctx, chart.release_name, spec.namespace, previous, minutes);
        throw err;
      }
      const revision = await lastRevision(helm, chart.release_name, spec.namespace);
      ctx.log(`release ${spec.namespace}/${chart.release_name}: revision ${revision}`);
      outputs[`${chart.release_name.replace(/[^A-Za-z0-9_]/g, '_')}_REVISION`] = String(revision);
    }
    return outputs;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function upgradeArgs(chart: HelmChart, spec: HelmChartDeploySpec, valuesFile: string, minutes: number): string[] {
  const args = [
    'upgrade',
    '--install',
    chart.release_name,
    chart.chart_name,
    '--namespace',
    spec.namespace,
    '--create-namespace',
  ];
  if (chart.chart_repo) args.push('--repo', chart.chart_repo);
  if (chart.chart_version) args.push('--version', chart.chart_version);
  args.push('--values', valuesFile);
  for (const kv of chart.override_kvs ?? []) args.push('--set', `${kv.key}=${kv.value}`);
  if (!spec.skip_check_run_status) args.push('--wait', '--timeout', `${minutes}m`);
  return args;
}

type Helm = (args: string[], signal?: AbortSignal) => Promise<string>;

async function lastRevision(helm: Helm, release: string, namespace: string): Promise<number | undefined> {
  try {
    const out = await helm(['history', release, '--namespace', namespace, '--max', '1', '--output', 'json']);
    const entries = JSON.parse(out) as Array<{ revision: number }>;
    return entries.at(-1)?.revision;
  } catch (err) {
    if (/release: not found/.test((err as Error).message)) return undefined;
    throw err;
  }
}

/** Runs even when the job was cancelled: the chart must not stay half-upgraded. */
async function compensate(
  helm: Helm,
  ctx: KubeJobContext,
  release: string,
  namespace: string,
  previous: number | undefined,
  minutes: number,
): Promise<void> {
  try {
    if (previous === undefined) {
      await helm(['uninstall', release, '--namespace', namespace, '--wait', '--timeout', `${minutes}m`]);
      ctx.log(`release ${namespace}/${release}: uninstalled (this run had installed it)`);
    } else {
      await helm([
        'rollback',
        release,
        String(previous),
        '--namespace',
        namespace,
        '--wait',
        '--timeout',
        `${minutes}m`,
      ]);
      ctx.log(`release ${namespace}/${release}: rolled back to revision ${previous}`);
    }
  } catch (err) {
    ctx.log(`release ${namespace}/${release}: compensation failed: ${(err as Error).message}`);
  }
}

/** How long helm gets to exit on SIGTERM before SIGKILL. */
const HELM_KILL_GRACE_MS = 5_000;

/**
 * Runs helm through the worker's process launcher, so that starting it does not fork the worker, and
 * returns its standard output; a cancel stops it (SIGTERM, then SIGKILL if it lingers).
 */
async function runHelm(args: string[], ctx: KubeJobContext, signal?: AbortSignal): Promise<string> {
  let stdout = '';
  let stderr = '';
  const launched = processLauncher.launch({
    command: helmBinary(),
    args,
    cwd: process.cwd(),
    env: { ...definedEnv(process.env), HELM_NO_PLUGINS: '1' },
    onStdout: (chunk) => (stdout += chunk.toString()),
    onStderr: (chunk) => (stderr += chunk.toString()),
  });
  let pid: number;
  try {
    pid = await launched.started;
  } catch (err) {
    throw new Error(`helm could not be started (${helmBinary()}): ${(err as Error).message}`);
  }
  // helm leads a process group of its own: the signals reach anything it started too.
  const onAbort = () => void killProcessGroup(pid, HELM_KILL_GRACE_MS);
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted) onAbort();
  const beat = setInterval(() => ctx.heartbeat({ steps: [] }), 2_000);
  try {
    const { code } = await launched.exited.catch(async (err: unknown) => {
      // The launcher is gone and helm with it out of sight: stop it, so compensation does not meet it.
      await killProcessGroup(pid, HELM_KILL_GRACE_MS);
      throw err;
    });
    await launched.closed;
    if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('cancelled');
    if (code !== 0) throw new Error(`helm ${args[0]} failed: ${stderr.trim().split('\n').slice(-3).join(' / ')}`);
    return stdout;
  } finally {
    clearInterval(beat);
    signal?.removeEventListener('abort', onAbort);
  }
}

function definedEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}
