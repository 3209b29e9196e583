import { kubeConfigOf, type ClusterConnection } from './client.js';

/** Ids that mean "the cluster Stagecoach itself runs in" (Zadig's local cluster). */
export const LOCAL_CLUSTER_IDS = new Set(['', 'local']);

export type ConnectionIssue = { path: string; message: string };

/**
 * Checks what a caller sent to register a cluster: either a kubeconfig (whose current context, or the
 * named one, must resolve to a cluster with a server) or server + token. Returns the connection and the
 * server URL to show, or the issues; the kubeconfig's content is never part of an issue.
 */
export function parseConnection(input: {
  kubeconfig?: string;
  context?: string;
  server?: string;
  token?: string;
  ca_data?: string;
  insecure_skip_tls_verify?: boolean;
}): { ok: true; connection: ClusterConnection; server: string } | { ok: false; issues: ConnectionIssue[] } {
  const issues: ConnectionIssue[] = [];
  let connection: ClusterConnection | undefined;
  if (input.kubeconfig !== undefined) {
    if (input.server !== undefined || input.token !== undefined) {
      issues.push({ path: 'kubeconfig', message: 'give either kubeconfig or server + token, not both' });
    }
    connection = { kubeconfig: input.kubeconfig, ...(input.context ? { context: input.context } : {}) };
  } else if (input.server !== undefined && input.token !== undefined) {
    if (!/^https?:\/\//.test(input.server)) issues.push({ path: 'server', message: 'must be an http(s) URL' });
    if (input.ca_data !== undefined && !input.ca_data.includes('-----BEGIN CERTIFICATE-----')) {
      issues.push({ path: 'ca_data', message: 'must be a PEM certificate bundle' });
    }
    connection = {
      server: input.server,
      token: input.token,
      ...(input.ca_data ? { caData: input.ca_data } : {}),
      ...(input.insecure_skip_tls_verify ? { insecureSkipTlsVerify: true } : {}),
    };
  } else {
    issues.push({ path: 'kubeconfig', message: 'a cluster needs a kubeconfig, or server and token' });
  }
  if (!connection || issues.length > 0) return { ok: false, issues };
  try {
    const server = kubeConfigOf(connection).getCurrentCluster()!.server;
    if (!server) return { ok: false, issues: [{ path: 'kubeconfig', message: 'the cluster has no server address' }] };
    return { ok: true, connection, server };
  } catch (err) {
    // The library's message may quote the file; say only what is wrong with its shape.
    const reason = /context/i.test((err as Error).message) ? 'names no usable context' : 'is not a valid kubeconfig';
    return { ok: false, issues: [{ path: 'kubeconfig', message: `the kubeconfig ${reason}` }] };
  }
}
