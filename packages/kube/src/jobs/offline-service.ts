import type { OfflineServiceSpec } from '@stagecoach/spec';
import { describeKubeError, isNotFound } from '../client.js';
import type { KubeJobContext } from '../job-context.js';
import { SERVICE_LABEL } from './restart.js';

/** The kinds a Zadig service's manifests consist of, deleted dependants first. */
const KINDS: Array<{ apiVersion: string; kind: string }> = [
  { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' },
  { apiVersion: 'v1', kind: 'Service' },
  { apiVersion: 'apps/v1', kind: 'Deployment' },
  { apiVersion: 'apps/v1', kind: 'StatefulSet' },
  { apiVersion: 'batch/v1', kind: 'CronJob' },
  { apiVersion: 'batch/v1', kind: 'Job' },
  { apiVersion: 'v1', kind: 'ConfigMap' },
  { apiVersion: 'v1', kind: 'Secret' },
  { apiVersion: 'v1', kind: 'PersistentVolumeClaim' },
];

/**
 * Zadig's `offline-service`: deletes every resource of each service (the objects labelled with it) from
 * the environment's namespace. Each service is tried; any failure fails the job, naming the service.
 */
export async function runOfflineService(
  ctx: KubeJobContext,
  spec: OfflineServiceSpec,
): Promise<Record<string, string>> {
  const failures: string[] = [];
  for (const service of spec.services) {
    try {
      const deleted = await deleteService(ctx, spec.namespace, service);
      ctx.log(
        `service ${service}: ${deleted.length === 0 ? 'nothing left to delete' : `deleted ${deleted.join(', ')}`}`,
      );
    } catch (err) {
      failures.push(`${service}: ${describeKubeError(err)}`);
    }
  }
  if (failures.length > 0) throw new Error(`offline failed for ${failures.join('; ')}`);
  return {};
}

async function deleteService(ctx: KubeJobContext, namespace: string, service: string): Promise<string[]> {
  const deleted: string[] = [];
  for (const { apiVersion, kind } of KINDS) {
    const list = await ctx.clients.objects.list(
      apiVersion,
      kind,
      namespace,
      undefined,
      undefined,
      undefined,
      undefined,
      `${SERVICE_LABEL}=${service}`,
    );
    for (const item of list.items) {
      try {
        await ctx.clients.objects.delete(
          { apiVersion, kind, metadata: { name: item.metadata!.name!, namespace } },
          undefined,
          undefined,
          undefined,
          undefined,
          'Background',
        );
        deleted.push(`${kind}/${item.metadata!.name}`);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }
  return deleted;
}
