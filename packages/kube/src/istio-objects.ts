import { ignoreNotFound, MERGE_PATCH, type KubeClients } from './client.js';
import { readOrUndefined } from './wait.js';

/** Zadig drives Istio through networking.istio.io/v1alpha3. */
const GROUP = 'networking.istio.io';
const VERSION = 'v1alpha3';

export type IstioPlural = 'virtualservices' | 'destinationrules';
const KINDS: Record<IstioPlural, string> = { virtualservices: 'VirtualService', destinationrules: 'DestinationRule' };

export async function readIstio<T = unknown>(
  clients: KubeClients,
  namespace: string,
  plural: IstioPlural,
  name: string,
): Promise<T | undefined> {
  return readOrUndefined(
    () =>
      clients.custom.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace,
        plural,
        name,
      }) as Promise<T>,
  );
}

export async function deleteIstio(
  clients: KubeClients,
  namespace: string,
  plural: IstioPlural,
  name: string,
): Promise<void> {
  await ignoreNotFound(
    clients.custom.deleteNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural, name }),
  );
}

/** A JSON merge patch (`null` removes a key). */
export async function patchIstio(
  clients: KubeClients,
  namespace: string,
  plural: IstioPlural,
  name: string,
  body: object,
): Promise<void> {
  await clients.custom.patchNamespacedCustomObject(
    { group: GROUP, version: VERSION, namespace, plural, name, body },
    MERGE_PATCH,
  );
}

/** Sets the object's spec, creating it (with these labels and annotations) when it does not exist. */
export async function upsertIstio(
  clients: KubeClients,
  namespace: string,
  plural: IstioPlural,
  name: string,
  metadata: { labels?: Record<string, string>; annotations?: Record<string, string> },
  spec: object,
): Promise<void> {
  if (await readIstio(clients, namespace, plural, name)) {
    await patchIstio(clients, namespace, plural, name, { spec });
    return;
  }
  await clients.custom.createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace,
    plural,
    body: { apiVersion: `${GROUP}/${VERSION}`, kind: KINDS[plural], metadata: { name, namespace, ...metadata }, spec },
  });
}
