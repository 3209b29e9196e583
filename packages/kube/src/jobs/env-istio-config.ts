import type { UpdateEnvIstioConfigSpec } from '@stagecoach/spec';
import { OWNER_ANNOTATION, type KubeJobContext } from '../job-context.js';
import { upsertIstio } from '../istio-objects.js';

/** Marks the VirtualServices this job manages, with the base environment they belong to. */
export const GRAY_ENV_LABEL = 'zadig-istio-grayscale-base-env';

const fqdn = (service: string, namespace: string) => `${service}.${namespace}.svc.cluster.local`;

/**
 * Zadig's `update-env-istio-config` (environment-level grayscale): for each Service of the base environment
 * a VirtualService (named after the Service, in the base namespace) sends traffic to the same Service in the
 * gray environments, either by weight or by matching request headers, the rest to the base. Environments are
 * namespaces here.
 */
export async function runUpdateEnvIstioConfig(
  ctx: KubeJobContext,
  spec: UpdateEnvIstioConfigSpec,
): Promise<Record<string, string>> {
  const base = spec.base_env;
  const services =
    spec.services ??
    (await ctx.clients.core.listNamespacedService({ namespace: base })).items.map((s) => s.metadata!.name!);
  for (const service of services) {
    const http =
      spec.grayscale_strategy === 'weight'
        ? [
            {
              route: (spec.weight_configs ?? []).map((w) => ({
                destination: { host: fqdn(service, w.env) },
                weight: w.weight,
              })),
            },
          ]
        : [
            ...(spec.header_match_configs ?? []).map((cfg) => ({
              match: [
                {
                  headers: Object.fromEntries(cfg.header_match.map((h) => [h.key, { [h.match]: h.value }])),
                },
              ],
              route: [{ destination: { host: fqdn(service, cfg.env) } }],
            })),
            { route: [{ destination: { host: fqdn(service, base) } }] },
          ];
    await upsertIstio(
      ctx.clients,
      base,
      'virtualservices',
      service,
      { labels: { [GRAY_ENV_LABEL]: base }, annotations: { [OWNER_ANNOTATION]: ctx.owner } },
      { hosts: [service, fqdn(service, base)], http },
    );
    ctx.log(`VirtualService ${base}/${service}: ${spec.grayscale_strategy} policy set`);
  }
  return {};
}
