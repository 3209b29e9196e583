import { Context } from '@temporalio/activity';
import { credentialValues, type JobActivityInput, type JobActivityResult } from '@stagecoach/contracts';
import { loadRunSecrets } from '@stagecoach/db';
import { createLogWriter, publishRunEvents, publishRunEventsUntilStored, type LogWriter } from '@stagecoach/events';
import { maskSecrets } from '@stagecoach/platform';
import {
  channelSecretValues,
  renderJob,
  restoreChannelSecrets,
  type ChannelSecrets,
  type FreestyleSpec,
  type NotificationSpec,
} from '@stagecoach/spec';
import type { ActivityDeps } from './create-activities.js';
import { toActivityFailure } from './activity-failure.js';
import { cleanupFreestyleJob, runFreestyleJob } from './freestyle/index.js';
import { runKubeJobActivity } from './kube-job.js';
import { runNotificationJob } from './notification-job.js';

/** What one job type does with its rendered spec; returns the job's outputs. */
export interface JobContext<Spec> {
  deps: ActivityDeps;
  input: JobActivityInput;
  spec: Spec;
  secrets: Record<string, string>;
  log: LogWriter;
}

/**
 * Runs one job attempt. Credential params are read here, from PostgreSQL, and only here: they fill the
 * placeholders the workflow left in the spec, become environment variables, and are masked everywhere.
 */
export async function runJobActivity(deps: ActivityDeps, input: JobActivityInput): Promise<JobActivityResult> {
  // Sequence numbers come from the workflow and JetStream drops repeats, so a retried attempt may republish.
  // The start events are stored while the job runs rather than before: waiting for their acks first put a
  // JetStream round trip in front of every job. They are published until stored, as the workflow's own
  // events are, so a NATS outage delays the job's end rather than failing (and rerunning) the job, and
  // the job's own outcome is what the attempt reports.
  const activity = Context.current();
  const startEventsStored = publishRunEventsUntilStored(deps.js, input.startEvents, {
    names: deps.names,
    onRetry: (err, attempt) =>
      activity.log.warn('storing the job start events failed; retrying', {
        attempt,
        error: err instanceof Error ? err.message : String(err),
      }),
  });
  const secrets = input.secretParams.length > 0 ? await loadRunSecrets(deps.db, input.runId, deps.box) : {};
  const channel = input.jobType === 'notification' ? await loadChannelSecrets(deps, input) : {};
  const secretValues = [...Object.values(secrets), ...channelSecretValues(channel)];
  // The channel's credentials go in after rendering: they are values, never templates.
  const spec = restoreChannelSecrets(renderJob(input.spec, credentialValues(secrets, input.secretMarker)), channel);
  const log = createLogWriter(
    deps.js,
    {
      project: input.project,
      workflow: input.workflow,
      runNumber: input.runNumber,
      job: input.job,
      retryNum: input.retryNum,
    },
    { names: deps.names },
  );
  try {
    const ctx = { deps, input, secrets, log };
    const result =
      input.jobType === 'notification'
        ? await runNotificationJob({ ...ctx, spec: spec as NotificationSpec }, secretValues)
        : input.jobType === 'freestyle'
          ? await freestyle({ ...ctx, spec: spec as FreestyleSpec })
          : await runKubeJobActivity({ ...ctx, spec });
    await log.close('passed');
    await startEventsStored;
    const outputs = Object.fromEntries(Object.entries(result).map(([k, v]) => [k, maskSecrets(v, secretValues)]));
    await publishRunEvents(deps.js, [{ ...input.passedEvent, time: Date.now(), outputs }], { names: deps.names });
    return { outputs };
  } catch (err) {
    await log.close('failed').catch(() => undefined);
    await startEventsStored;
    throw toActivityFailure(err, secretValues);
  }
}

/** What the run sealed of a notification job's channel when it started (nothing for runs from before). */
async function loadChannelSecrets(deps: ActivityDeps, input: JobActivityInput): Promise<ChannelSecrets> {
  const sealed = await loadRunSecrets(deps.db, input.runId, deps.box, 'channel', input.job);
  const json = sealed[input.job];
  return json === undefined ? {} : (JSON.parse(json) as ChannelSecrets);
}

async function freestyle({
  deps,
  input,
  spec,
  secrets,
  log,
}: JobContext<FreestyleSpec>): Promise<Record<string, string>> {
  const ctx = Context.current();
  const previous = ctx.info.heartbeatDetails as { pgid?: number } | undefined;
  try {
    const result = await runFreestyleJob(
      {
        runId: input.runId,
        job: input.job,
        spec,
        env: { ...input.env, ...jobEnvs(spec) },
        secrets,
        workspaceRoot: deps.workspaceRoot,
      },
      {
        log,
        signal: ctx.cancellationSignal,
        heartbeat: (details) => ctx.heartbeat(details),
        previousPgid: previous?.pgid,
      },
    );
    return result.outputs;
  } finally {
    // The workspace ends with the job, as a Zadig job pod's does; the run-end cleanup only catches leftovers.
    await cleanupFreestyleJob({ runId: input.runId, job: input.job, workspaceRoot: deps.workspaceRoot });
  }
}

/** The job's own `envs` (already rendered) override params and built-ins of the same name. */
function jobEnvs(spec: FreestyleSpec): Record<string, string> {
  return Object.fromEntries((spec.envs ?? []).map((kv) => [kv.key, kv.value ?? '']));
}
