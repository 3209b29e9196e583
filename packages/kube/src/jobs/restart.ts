import { DEFAULT_DEPLOY_TIMEOUT_MINUTES, type RestartSpec } from '@stagecoach/spec';
import { Steps, type KubeJobContext } from '../job-context.js';
import { restartWorkload, waitWorkloadReady } from '../workloads.js';

/** Zadig labels every workload of an environment's service with the service's name. */
export const SERVICE_LABEL = 's-service';

type Restartable = { kind: 'Deployment' | 'StatefulSet'; name: string };

/**
 * Zadig's `zadig-restart`: `kubectl rollout restart` on the Deployments and StatefulSets of each service
 * (and any named workload), then wait until every one has rolled out, unless `skip_check_run_status`.
 */
export async function runRestart(ctx: KubeJobContext, spec: RestartSpec): Promise<Record<string, string>> {
  const started = Date.now();
  const steps = new Steps(ctx);
  const workloads = new Map<string, Restartable>();
  for (const t of spec.targets ?? [])
    workloads.set(`${t.workload_type}/${t.workload_name}`, { kind: t.workload_type, name: t.workload_name });
  for (const { service_name } of spec.services ?? []) {
    const found = await serviceWorkloads(ctx, spec.namespace, service_name);
    if (found.length === 0)
      throw new Error(`service "${service_name}" has no Deployment or StatefulSet in ${spec.namespace}`);
    for (const w of found) workloads.set(`${w.kind}/${w.name}`, w);
  }
  // One restart time for the whole job: a resumed attempt writes the same annotation, a no-op.
  const at = ctx.now();
  for (const w of workloads.values()) {
    await steps.run(`restart ${w.kind}/${w.name}`, async () => {
      await restartWorkload(ctx.clients, spec.namespace, w.kind, w.name, at);
      ctx.log(`${w.kind} ${spec.namespace}/${w.name}: restarted`);
    });
  }
  if (!spec.skip_check_run_status) {
    const wait = steps.waitOptions(spec.timeout || DEFAULT_DEPLOY_TIMEOUT_MINUTES, started);
    await Promise.all(
      [...workloads.values()].map((w) => waitWorkloadReady(ctx.clients, spec.namespace, w.kind, w.name, wait)),
    );
    ctx.log(`${workloads.size} workload(s) rolled out`);
  }
  return {};
}

export async function serviceWorkloads(
  ctx: KubeJobContext,
  namespace: string,
  service: string,
): Promise<Restartable[]> {
  const labelSelector = `${SERVICE_LABEL}=${service}`;
  const [deployments, statefulSets] = await Promise.all([
    ctx.clients.apps.listNamespacedDeployment({ namespace, labelSelector }),
    ctx.clients.apps.listNamespacedStatefulSet({ namespace, labelSelector }),
  ]);
  return [
    ...deployments.items.map((d) => ({ kind: 'Deployment' as const, name: d.metadata!.name! })),
    ...statefulSets.items.map((s) => ({ kind: 'StatefulSet' as const, name: s.metadata!.name! })),
  ];
}
