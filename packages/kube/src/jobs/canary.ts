import { DEFAULT_DEPLOY_TIMEOUT_MINUTES, type CanaryDeploySpec, type CanaryReleaseSpec } from '@stagecoach/spec';
import { isNotFound } from '../client.js';
import { cleanupWaitOptions, OWNER_ANNOTATION, Steps, type KubeJobContext } from '../job-context.js';
import { deleteAndWait, readDeployment, setContainerImage, waitDeploymentReady } from '../workloads.js';
import { copyDeployment, createOwned, serviceDeployment, withImage } from './service-workload.js';

export const CANARY_SUFFIX = '-zadig-canary';

/**
 * Zadig's `k8s-canary-deploy`: beside the Deployment behind each Service, a copy named `<name>-zadig-canary`
 * with ceil(replicas × percentage / 100) replicas and the new image; it carries the same pod labels, so the
 * Service spreads traffic over old and canary pods by count. Waits until the canary is ready.
 */
export async function runCanaryDeploy(ctx: KubeJobContext, spec: CanaryDeploySpec): Promise<Record<string, string>> {
  const started = Date.now();
  const steps = new Steps(ctx);
  for (const t of spec.targets) {
    const { deployment } = await serviceDeployment(ctx.clients, spec.namespace, t.k8s_service_name, t.workload_name);
    const name = deployment.metadata!.name!;
    if (name.endsWith(CANARY_SUFFIX)) throw new Error(`Deployment ${name} is itself a canary`);
    const canaryName = `${name}${CANARY_SUFFIX}`;
    const replicas = Math.ceil(((deployment.spec?.replicas ?? 1) * t.canary_percentage) / 100);
    await steps.run(`create ${canaryName}`, async () => {
      const canary = copyDeployment(
        deployment,
        canaryName,
        (c) => {
          c.spec!.replicas = replicas;
          withImage(c, t.container_name, t.image);
        },
        { [OWNER_ANNOTATION]: ctx.owner },
      );
      await createOwned(ctx, spec.namespace, canaryName, () =>
        ctx.clients.apps.createNamespacedDeployment({ namespace: spec.namespace, body: canary }),
      );
      ctx.log(`Deployment ${spec.namespace}/${canaryName}: created with ${replicas} replica(s) of ${t.image}`);
    });
    await waitDeploymentReady(
      ctx.clients,
      spec.namespace,
      canaryName,
      steps.waitOptions(t.deploy_timeout || DEFAULT_DEPLOY_TIMEOUT_MINUTES, started),
    );
    ctx.log(`Deployment ${spec.namespace}/${canaryName}: ready`);
  }
  return {};
}

/**
 * Zadig's `k8s-canary-release`: remove the canary, then roll the new image out on the original Deployment
 * and wait until it is ready.
 */
export async function runCanaryRelease(
  ctx: KubeJobContext,
  spec: CanaryReleaseSpec,
  deploy: CanaryDeploySpec,
): Promise<Record<string, string>> {
  const started = Date.now();
  const steps = new Steps(ctx);
  const wait = steps.waitOptions(spec.release_timeout || DEFAULT_DEPLOY_TIMEOUT_MINUTES, started);
  for (const t of deploy.targets) {
    const { deployment } = await serviceDeployment(ctx.clients, deploy.namespace, t.k8s_service_name, t.workload_name);
    const name = deployment.metadata!.name!;
    await steps.run(`remove ${name}${CANARY_SUFFIX}`, () =>
      deleteAndWait(ctx.clients, deploy.namespace, `${name}${CANARY_SUFFIX}`, wait),
    );
    await steps.run(`image ${name}`, async () => {
      await setContainerImage(ctx.clients, deploy.namespace, 'Deployment', name, t.container_name, t.image);
      ctx.log(`Deployment ${deploy.namespace}/${name}: container ${t.container_name} → ${t.image}`);
    });
    await waitDeploymentReady(ctx.clients, deploy.namespace, name, wait);
    ctx.log(`Deployment ${deploy.namespace}/${name}: released`);
  }
  return {};
}

/**
 * The release job's cleanup, run when the run ends whatever happened (Zadig's Clean()): the canary goes.
 * After a release it is already gone; after a failure or cancel in between, this restores the cluster.
 */
export async function cleanCanaryRelease(ctx: KubeJobContext, deploy: CanaryDeploySpec): Promise<void> {
  for (const t of deploy.targets) {
    let name = t.workload_name;
    if (!name) {
      try {
        name = (await serviceDeployment(ctx.clients, deploy.namespace, t.k8s_service_name)).deployment.metadata!.name!;
      } catch (err) {
        if (isNotFound(err)) continue;
        throw err;
      }
    }
    const canary = `${name}${CANARY_SUFFIX}`;
    if (await readDeployment(ctx.clients, deploy.namespace, canary)) {
      await deleteAndWait(ctx.clients, deploy.namespace, canary, cleanupWaitOptions(ctx));
      ctx.log(`Deployment ${deploy.namespace}/${canary}: removed`);
    }
  }
}
