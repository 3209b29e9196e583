import { activityInfo, Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { JetStreamClient } from 'nats';
import {
  CONCURRENCY_GATE_WORKFLOW,
  concurrencyGateWorkflowId,
  gateAcquireSignal,
  TASK_QUEUE,
  type RunActivities,
  type TimerActivities,
} from '@stagecoach/contracts';
import type { Db } from '@stagecoach/db';
import { publishRunEvents, type StreamNames } from '@stagecoach/events';
import type { Mailer } from '@stagecoach/notify';
import type { SecretBox } from '@stagecoach/platform';
import { cleanupFreestyleJob } from './freestyle/index.js';
import { fireTimerTriggerActivity } from './fire-timer.js';
import { compensateJobsActivity } from './kube-job.js';
import { runJobActivity } from './run-job.js';

export interface ActivityDeps {
  db: Db;
  js: JetStreamClient;
  box: SecretBox;
  temporal: Client;
  /** parent folder of per-job workspaces */
  workspaceRoot: string;
  /** JetStream stream names and subject prefixes (tests isolate themselves with their own) */
  names?: StreamNames;
  /** base of run links for runs timers start (STAGECOACH_PUBLIC_URL) */
  publicUrl?: string;
  /** SMTP for `notification` jobs that send mail (STAGECOACH_SMTP_URL) */
  mailer?: Mailer;
}

/** The run workflow's activities, bound to the worker's clients. */
export function createActivities(deps: ActivityDeps): RunActivities & TimerActivities {
  return {
    runJob: (input) => runJobActivity(deps, input),

    async cleanupJobs({ runId, jobs }) {
      for (const job of jobs) {
        // Only freestyle jobs own something to clean up so far (their workspace).
        if (job.type === 'freestyle')
          await cleanupFreestyleJob({ runId, job: job.name, workspaceRoot: deps.workspaceRoot });
      }
    },

    compensateJobs: (input) => compensateJobsActivity(deps, input),

    async acquireConcurrencySlot({ project, workflow, limit, runWorkflowId, runNumber }) {
      await deps.temporal.workflow.signalWithStart(CONCURRENCY_GATE_WORKFLOW, {
        workflowId: concurrencyGateWorkflowId(project, workflow),
        taskQueue: activityInfo().taskQueue ?? TASK_QUEUE,
        args: [{ limit, holders: [], queue: [] }],
        signal: gateAcquireSignal,
        signalArgs: [{ runWorkflowId, runNumber, limit }],
      });
    },

    fireTimerTrigger: (input) => fireTimerTriggerActivity(deps, input),

    async emitEvents(events) {
      await publishRunEvents(deps.js, events, { names: deps.names });
      Context.current().log.debug('events published', { count: events.length });
    },
  };
}
