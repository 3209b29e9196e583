import { createRequire } from 'node:module';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import type { JetStreamClient } from 'nats';
import type { StreamNames } from '@stagecoach/events';
import { createActivities } from '@stagecoach/activities';
import { TASK_QUEUE } from '@stagecoach/contracts';
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
    // Let a job's cancellation reach the process group and the cleanup run before the worker exits.
    shutdownGraceTime: '10 seconds',
    // A cancel reaches a running activity only with the answer to a heartbeat; the SDK's default
    // throttle (80% of the heartbeat timeout) would let a cancelled job run on for 8 s.
    maxHeartbeatThrottleInterval: '1 second',
  });
}
