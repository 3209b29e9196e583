import { request } from 'node:https';
import { request as httpRequest } from 'node:http';
import {
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  Watch,
} from '@kubernetes/client-node';

/** How a registered cluster is reached: a whole kubeconfig, or server + bearer token (+ CA). */
export type ClusterConnection =
  | { kubeconfig: string; context?: string }
  | { server: string; token: string; caData?: string; insecureSkipTlsVerify?: boolean };

export function kubeConfigOf(connection: ClusterConnection): KubeConfig {
  const kc = new KubeConfig();
  if ('kubeconfig' in connection) {
    kc.loadFromString(connection.kubeconfig);
    if (connection.context) kc.setCurrentContext(connection.context);
  } else {
    kc.loadFromOptions({
      clusters: [
        {
          name: 'cluster',
          server: connection.server,
          caData: connection.caData ? Buffer.from(connection.caData).toString('base64') : undefined,
          skipTLSVerify: connection.insecureSkipTlsVerify ?? false,
        },
      ],
      users: [{ name: 'user', token: connection.token }],
      contexts: [{ name: 'cluster', cluster: 'cluster', user: 'user' }],
      currentContext: 'cluster',
    });
  }
  if (!kc.getCurrentCluster()) throw new Error('the cluster connection names no cluster');
  return kc;
}

/** The cluster the process runs in, else the user's current kubeconfig context (Zadig's local cluster). */
export function defaultKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromDefault();
  if (!kc.getCurrentCluster()) throw new Error('no local cluster: not running in a pod and no kubeconfig context');
  return kc;
}

/** Objects addressed by apiVersion and kind, with URL paths resolved by discovery. */
class ObjectApi extends KubernetesObjectApi {
  async path(apiVersion: string, kind: string, name: string, namespace?: string): Promise<string> {
    return this.specUriPath({ apiVersion, kind, metadata: { name, namespace } }, 'patch');
  }
}

export const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
export const STRATEGIC_MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
export const JSON_PATCH = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);

export class KubeClients {
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly batch: BatchV1Api;
  readonly custom: CustomObjectsApi;
  readonly objects: ObjectApi;
  readonly watcher: Watch;

  constructor(readonly kc: KubeConfig) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.apps = kc.makeApiClient(AppsV1Api);
    this.batch = kc.makeApiClient(BatchV1Api);
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.objects = kc.makeApiClient(ObjectApi);
    this.watcher = new Watch(kc);
  }

  /** A request the generated clients cannot express (a JSON patch on a kind found by discovery). */
  async raw(method: string, path: string, body: string, contentType: string): Promise<unknown> {
    const cluster = this.kc.getCurrentCluster()!;
    const url = new URL(path, cluster.server);
    const options: Parameters<typeof request>[1] = {
      method,
      headers: { 'content-type': contentType, accept: 'application/json' },
    };
    await this.kc.applyToHTTPSOptions(options);
    const send = url.protocol === 'https:' ? request : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(url, options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const parsed = text ? (JSON.parse(text) as { message?: string }) : {};
          if ((res.statusCode ?? 500) >= 300) {
            reject(new KubeApiError(res.statusCode ?? 500, parsed.message ?? text));
          } else resolve(parsed);
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  }
}

export class KubeApiError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** The HTTP status of a failed Kubernetes call, from either client style. */
export function statusOf(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown };
  if (typeof e?.code === 'number') return e.code;
  if (typeof e?.statusCode === 'number') return e.statusCode;
  return undefined;
}

export const isNotFound = (err: unknown) => statusOf(err) === 404;
export const isConflict = (err: unknown) => statusOf(err) === 409;

/** Deletes and the like where "already gone" is the outcome wanted. */
export async function ignoreNotFound(call: Promise<unknown>): Promise<void> {
  try {
    await call;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

/** A readable line for an API failure: the server's message, not the whole HTTP exchange. */
export function describeKubeError(err: unknown): string {
  const e = err as { body?: unknown; message?: string };
  if (typeof e?.body === 'string') {
    try {
      const parsed = JSON.parse(e.body) as { message?: string };
      if (parsed.message) return parsed.message;
    } catch {
      // not JSON: fall through
    }
  }
  return e?.message ?? String(err);
}
