import { DEFAULT_DEPLOY_TIMEOUT_MINUTES, type CustomDeploySpec } from '@stagecoach/spec';
import { Steps, type KubeJobContext } from '../job-context.js';
import { setContainerImage, waitWorkloadReady, type WorkloadKind } from '../workloads.js';

/**
 * Zadig's `custom-deploy`: set each target container's image (Deployment, StatefulSet or CronJob), then,
 * unless `skip_check_run_status`, wait until every touched workload has rolled out, within `timeout`.
 */
export async function runCustomDeploy(ctx: KubeJobContext, spec: CustomDeploySpec): Promise<Record<string, string>> {
  const started = Date.now();
  const steps = new Steps(ctx);
  const targets = spec.targets.map((t) => {
    const [kind, name, container] = t.target.split('/') as [WorkloadKind, string, string];
    return { kind, name, container, image: t.image };
  });
  for (const t of targets) {
    await steps.run(`image ${t.kind}/${t.name}/${t.container}`, async () => {
      ctx.log(`${t.kind} ${spec.namespace}/${t.name}: container ${t.container} → ${t.image}`);
      await setContainerImage(ctx.clients, spec.namespace, t.kind, t.name, t.container, t.image);
    });
  }
  if (spec.skip_check_run_status) {
    ctx.log('skip_check_run_status: not waiting for the rollout');
  } else {
    const wait = steps.waitOptions(spec.timeout || DEFAULT_DEPLOY_TIMEOUT_MINUTES, started);
    const workloads = new Map(targets.map((t) => [`${t.kind}/${t.name}`, t]));
    await Promise.all(
      [...workloads.values()].map(async (t) => {
        await waitWorkloadReady(ctx.clients, spec.namespace, t.kind, t.name, wait);
        ctx.log(`${t.kind} ${spec.namespace}/${t.name}: rolled out`);
      }),
    );
  }
  return {};
}
