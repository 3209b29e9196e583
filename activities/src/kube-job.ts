import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { ErrorType, type CompensateJobsInput } from '@stagecoach/contracts';
import { getCluster } from '@stagecoach/db';
import {
  cleanKubeJob,
  clusterSpecOf,
  defaultKubeConfig,
  describeKubeError,
  KubeClients,
  kubeConfigOf,
  LOCAL_CLUSTER_IDS,
  runKubeJob,
  statusOf,
  WaitTimeoutError,
  type ClusterConnection,
  type KubeJobContext,
} from '@stagecoach/kube';
import type { KubeJobType } from '@stagecoach/spec';
import type { ActivityDeps } from './create-activities.js';
import type { JobContext } from './run-job.js';

/**
 * Clients for a job's cluster: a registered one by id (its sealed connection opened here, in the worker,
 * and nowhere else), or the local cluster for an empty id or "local".
 */
export async function clusterClients(deps: ActivityDeps, clusterId: string | undefined): Promise<KubeClients> {
  if (LOCAL_CLUSTER_IDS.has(clusterId ?? '')) return new KubeClients(defaultKubeConfig());
  const row = await getCluster(deps.db, clusterId!);
  if (!row) throw new Error(`cluster "${clusterId}" is not registered`);
  const connection = JSON.parse(deps.box.open(row.connectionSealed)) as ClusterConnection;
  return new KubeClients(kubeConfigOf(connection));
}

function kubeContext(clients: KubeClients, owner: string, log: (line: string) => void): KubeJobContext {
  const ctx = Context.current();
  const previous = ctx.info.heartbeatDetails as { steps?: string[] } | undefined;
  return {
    clients,
    signal: ctx.cancellationSignal,
    heartbeat: (details) => ctx.heartbeat(details),
    log,
    completed: new Set(previous?.steps ?? []),
    owner,
    now: () => new Date(),
  };
}

/** A deploy or release job: its cluster resolved, its waits heartbeating and resumable, its timeouts typed. */
export async function runKubeJobActivity({
  deps,
  input,
  spec,
  log,
}: JobContext<unknown>): Promise<Record<string, string>> {
  try {
    const target = clusterSpecOf(spec, input.fromSpec);
    const clients = await clusterClients(deps, target.cluster_id);
    const ctx = kubeContext(clients, `${input.runId}/${input.job}`, (line) => log.write(`${line}\n`));
    return await runKubeJob(input.jobType as KubeJobType, ctx, spec, input.fromSpec);
  } catch (err) {
    throw kubeFailure(err);
  }
}

const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EAI_AGAIN', 'EPIPE']);

/**
 * A timeout ends the job `timeout`; an unreachable or overloaded API server is retried (the next attempt
 * resumes at the first unfinished step); anything else — a missing object, a refused change — fails the job.
 */
function kubeFailure(err: unknown): unknown {
  if (err instanceof CancelledFailure) return err;
  const message = describeKubeError(err);
  if (err instanceof WaitTimeoutError)
    return ApplicationFailure.create({ type: ErrorType.JobTimeout, message, nonRetryable: true });
  const status = statusOf(err);
  const code = (err as { code?: unknown; cause?: { code?: unknown } }).cause?.code ?? (err as { code?: unknown }).code;
  if (
    (status !== undefined && (status >= 500 || status === 429)) ||
    (typeof code === 'string' && TRANSIENT_CODES.has(code))
  ) {
    return ApplicationFailure.create({ type: 'KubeUnavailable', message, nonRetryable: false });
  }
  return ApplicationFailure.create({ type: ErrorType.JobFailed, message, nonRetryable: true });
}

/** Release jobs' cleanups at the end of the run, last job first; every one is tried. */
export async function compensateJobsActivity(deps: ActivityDeps, input: CompensateJobsInput): Promise<void> {
  const failures: string[] = [];
  for (const job of input.jobs) {
    if (!job.fromSpec) continue;
    try {
      const clients = await clusterClients(deps, clusterSpecOf(undefined, job.fromSpec).cluster_id);
      const ctx = kubeContext(clients, `${input.runId}/${job.name}`, (line) =>
        Context.current().log.info(line, { runId: input.runId, job: job.name }),
      );
      await cleanKubeJob(job.type, ctx, job.fromSpec);
    } catch (err) {
      failures.push(`${job.name}: ${(err as Error).message}`);
    }
  }
  if (failures.length > 0) throw new Error(failures.join('; '));
}
