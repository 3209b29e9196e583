import { createRequire } from 'node:module';
import { Runtime, Worker, type InjectedSinks, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import type { JetStreamClient } from 'nats';
import { publishRunEventsUntilStored, type StreamNames } from '@stagecoach/events';
import { createActivities } from '@stagecoach/activities';
import { TASK_QUEUE, type RunSinks } from '@stagecoach/contracts';
import type { Db } from '@stagecoach/db';
import type { Mailer } from '@stagecoach/notify';
import type { SecretBox } from '@stagecoach/platform';

const require = createRequire(import.meta.url);

/** The workflow code the worker bundles: everything exported by @stagecoach/workflows. */
export const WORKFLOWS_PATH = require.resolve('@stagecoach/workflows');

export interface WorkerDeps {
  connection: NativeConnection;
  namespace: string;
  temporal: Client;
  db: Db;
  js: JetStreamClient;
  box: SecretBox;
  workspaceRoot: string;
  taskQueue?: string;
  names?: StreamNames;
  /** base of run links for runs timers start */
  publicUrl?: string;
  /** SMTP for `notification` jobs that send mail */
  mailer?: Mailer;
  /** a prebuilt bundle (tests bundle once); otherwise workflowsPath is bundled at start */
  workflowBundle?: WorkerOptions['workflowBundle'];
}

export async function createWorker(deps: WorkerDeps): Promise<Worker> {
  const activities = createActivities({
    db: deps.db,
    js: deps.js,
    box: deps.box,
    temporal: deps.temporal,
    workspaceRoot: deps.workspaceRoot,
    names: deps.names,
    publicUrl: deps.publicUrl,
    mailer: deps.mailer,
  });
  return Worker.create({
    connection: deps.connection,
    namespace: deps.namespace,
    taskQueue: deps.taskQueue ?? TASK_QUEUE,
    ...(deps.workflowBundle ? { workflowBundle: deps.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities,
    sinks: runSinks(deps),
    // Let a job's cancellation reach the process group and the cleanup run before the worker exits.
    shutdownGraceTime: '10 seconds',
    // A cancel reaches a running activity only with the answer to a heartbeat; the SDK's default
    // throttle (80% of the heartbeat timeout) would let a cancelled job run on for 8 s.
    maxHeartbeatThrottleInterval: '1 second',
  });
}

/**
 * The run workflow's event sink. The SDK awaits sink calls before it reports the activation's workflow
 * task, so publishing until stored keeps events ahead of the commands that follow them; a worker lost
 * before that reports nothing, and the task's next attempt publishes again (JetStream drops the copies).
 * Replayed activations published theirs already.
 */
function runSinks(deps: WorkerDeps): InjectedSinks<RunSinks> {
  return {
    runEvents: {
      publish: {
        fn: (info, events) =>
          publishRunEventsUntilStored(deps.js, events, {
            names: deps.names,
            onRetry: (err, attempt) =>
              Runtime.instance().logger.warn('publishing run events failed; retrying', {
                workflowId: info.workflowId,
                attempt,
                error: err instanceof Error ? err.message : String(err),
              }),
          }),
        callDuringReplay: false,
      },
    },
  };
}
