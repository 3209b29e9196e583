import { DEFAULT_DEPLOY_TIMEOUT_MINUTES, type GrayReleaseSpec, type GrayRollbackSpec } from '@stagecoach/spec';
import { OWNER_ANNOTATION, Steps, type KubeJobContext } from '../job-context.js';
import {
  annotateDeployment,
  containerImage,
  deleteAndWait,
  scaleDeployment,
  setContainerImage,
  waitDeploymentReady,
} from '../workloads.js';
import { copyDeployment, createOwned, withImage } from './service-workload.js';

export const GRAY_SUFFIX = '-zadig-gray';
export const GRAY_LABEL = 'zadig-gray-release';
export const GRAY_LABEL_VALUE = 'released-by-zadig';
export const GRAY_IMAGE_ANNOTATION = 'zadig-gray-release-image';
export const GRAY_CONTAINER_ANNOTATION = 'zadig-gray-release-container';
export const GRAY_REPLICA_ANNOTATION = 'zadig-gray-release-replica';

const grayReplicas = (total: number, scale: number) => Math.ceil((total * scale) / 100);

/**
 * Zadig's batched grayscale (`k8s-gray-release`). The first job of a chain (no `from_job`) records the
 * original image, container and replicas on the Deployment, starts `<name>-zadig-gray` with the new image
 * and ceil(total × scale / 100) replicas, and scales the original down to the rest. Followers move the split;
 * the one at 100 % puts the new image on the original at full size and removes the gray copy.
 */
export async function runGrayRelease(
  ctx: KubeJobContext,
  spec: GrayReleaseSpec,
  first: GrayReleaseSpec,
): Promise<Record<string, string>> {
  const started = Date.now();
  const steps = new Steps(ctx);
  const ns = first.namespace;
  const wait = steps.waitOptions(
    (spec.from_job ? spec.deploy_timeout : first.deploy_timeout) || DEFAULT_DEPLOY_TIMEOUT_MINUTES,
    started,
  );
  for (const t of first.targets) {
    const name = t.workload_name;
    const grayName = `${name}${GRAY_SUFFIX}`;
    const original = await ctx.clients.apps.readNamespacedDeployment({ name, namespace: ns });
    const annotations = original.metadata?.annotations ?? {};
    if (!spec.from_job) {
      const total = t.replica ?? original.spec?.replicas ?? 1;
      const gray = grayReplicas(total, spec.gray_scale);
      await steps.run(`record ${name}`, async () => {
        const image = containerImage(original.spec!.template, t.container_name);
        if (image === undefined) throw new Error(`Deployment ${ns}/${name} has no container "${t.container_name}"`);
        await annotateDeployment(ctx.clients, ns, name, {
          [GRAY_IMAGE_ANNOTATION]: image,
          [GRAY_CONTAINER_ANNOTATION]: t.container_name,
          [GRAY_REPLICA_ANNOTATION]: String(total),
        });
      });
      await steps.run(`create ${grayName}`, async () => {
        const body = copyDeployment(
          original,
          grayName,
          (c) => {
            c.spec!.replicas = gray;
            c.spec!.selector.matchLabels = { ...c.spec!.selector.matchLabels, [GRAY_LABEL]: GRAY_LABEL_VALUE };
            c.spec!.template.metadata = {
              ...c.spec!.template.metadata,
              labels: { ...c.spec!.template.metadata?.labels, [GRAY_LABEL]: GRAY_LABEL_VALUE },
            };
            withImage(c, t.container_name, t.image);
            for (const key of [GRAY_IMAGE_ANNOTATION, GRAY_CONTAINER_ANNOTATION, GRAY_REPLICA_ANNOTATION])
              delete c.metadata!.annotations![key];
          },
          { [OWNER_ANNOTATION]: ctx.owner },
        );
        await createOwned(ctx, ns, grayName, () =>
          ctx.clients.apps.createNamespacedDeployment({ namespace: ns, body }),
        );
        ctx.log(`Deployment ${ns}/${grayName}: created with ${gray} of ${total} replica(s) on ${t.image}`);
      });
      await waitDeploymentReady(ctx.clients, ns, grayName, wait);
      await steps.run(`scale ${name}`, () => scaleDeployment(ctx.clients, ns, name, total - gray));
      await waitDeploymentReady(ctx.clients, ns, name, wait);
      continue;
    }
    const total = Number(annotations[GRAY_REPLICA_ANNOTATION] ?? original.spec?.replicas ?? 1);
    if (spec.gray_scale < 100) {
      const gray = grayReplicas(total, spec.gray_scale);
      await steps.run(`scale ${grayName}`, () => scaleDeployment(ctx.clients, ns, grayName, gray));
      await waitDeploymentReady(ctx.clients, ns, grayName, wait);
      await steps.run(`scale ${name}`, () => scaleDeployment(ctx.clients, ns, name, total - gray));
      await waitDeploymentReady(ctx.clients, ns, name, wait);
      ctx.log(`${ns}/${name}: ${gray} of ${total} replica(s) on ${t.image}`);
    } else {
      await steps.run(`full ${name}`, async () => {
        await setContainerImage(ctx.clients, ns, 'Deployment', name, t.container_name, t.image);
        await scaleDeployment(ctx.clients, ns, name, total);
      });
      await waitDeploymentReady(ctx.clients, ns, name, wait);
      await steps.run(`remove ${grayName}`, () => deleteAndWait(ctx.clients, ns, grayName, wait));
      ctx.log(`${ns}/${name}: all ${total} replica(s) on ${t.image}; gray copy removed`);
    }
  }
  return {};
}

/**
 * Zadig's `k8s-gray-rollback`: the original image and replicas come back from the annotations the first
 * gray job left; once ready, the gray copy goes.
 */
export async function runGrayRollback(ctx: KubeJobContext, spec: GrayRollbackSpec): Promise<Record<string, string>> {
  const started = Date.now();
  const steps = new Steps(ctx);
  const ns = spec.namespace;
  const wait = steps.waitOptions(spec.rollback_timeout || DEFAULT_DEPLOY_TIMEOUT_MINUTES, started);
  for (const t of spec.targets) {
    const name = t.workload_name;
    const original = await ctx.clients.apps.readNamespacedDeployment({ name, namespace: ns });
    const a = original.metadata?.annotations ?? {};
    const image = a[GRAY_IMAGE_ANNOTATION];
    const container = a[GRAY_CONTAINER_ANNOTATION];
    const replicas = a[GRAY_REPLICA_ANNOTATION];
    if (!image || !container || !replicas) {
      throw new Error(`Deployment ${ns}/${name} carries no gray-release annotations: nothing to roll back to`);
    }
    await steps.run(`restore ${name}`, async () => {
      await setContainerImage(ctx.clients, ns, 'Deployment', name, container, image);
      await scaleDeployment(ctx.clients, ns, name, Number(replicas));
    });
    await waitDeploymentReady(ctx.clients, ns, name, wait);
    await steps.run(`remove ${name}${GRAY_SUFFIX}`, () =>
      deleteAndWait(ctx.clients, ns, `${name}${GRAY_SUFFIX}`, wait),
    );
    ctx.log(`${ns}/${name}: back on ${image} with ${replicas} replica(s)`);
  }
  return {};
}
