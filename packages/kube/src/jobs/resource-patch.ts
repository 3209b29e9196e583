import { parse } from 'yaml';
import type { K8sPatchSpec, PatchItem } from '@stagecoach/spec';
import { describeKubeError } from '../client.js';
import type { KubeJobContext } from '../job-context.js';

const CONTENT_TYPES: Record<PatchItem['patch_strategy'], string> = {
  'strategic-merge': 'application/strategic-merge-patch+json',
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
};

/**
 * Zadig's `k8s-resource-patch`: every item is patched at once, on whatever kind it names (found by API
 * discovery); YAML patch content is converted to JSON; any failed item fails the job, naming each failure.
 */
export async function runResourcePatch(ctx: KubeJobContext, spec: K8sPatchSpec): Promise<Record<string, string>> {
  const results = await Promise.allSettled(spec.patch_items.map((item) => patchItem(ctx, spec.namespace, item)));
  const failures = results.flatMap((r, i) =>
    r.status === 'rejected' ? [`${label(spec.patch_items[i]!)}: ${describeKubeError(r.reason)}`] : [],
  );
  if (failures.length > 0) throw new Error(`patch failed for ${failures.join('; ')}`);
  return {};
}

function label(item: PatchItem): string {
  return `${item.resource_kind}/${item.resource_name}`;
}

async function patchItem(ctx: KubeJobContext, namespace: string, item: PatchItem): Promise<void> {
  const apiVersion = item.resource_group ? `${item.resource_group}/${item.resource_version}` : item.resource_version;
  let body: unknown;
  try {
    body = parse(item.patch_content);
  } catch (err) {
    throw new Error(`patch_content is neither JSON nor YAML: ${(err as Error).message}`);
  }
  if (item.patch_strategy === 'json' ? !Array.isArray(body) : typeof body !== 'object' || body === null) {
    throw new Error(
      item.patch_strategy === 'json' ? 'a json patch must be a list of operations' : 'a merge patch must be an object',
    );
  }
  const path = await ctx.clients.objects.path(apiVersion, item.resource_kind, item.resource_name, namespace);
  await ctx.clients.raw('PATCH', path, JSON.stringify(body), CONTENT_TYPES[item.patch_strategy]);
  ctx.log(`${label(item)}: ${item.patch_strategy} patch applied`);
}
