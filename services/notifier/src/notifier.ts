import {
  approvalPageUrl,
  credentialValues,
  eventMsgId,
  runUrl,
  type RunEvent,
  type StageResult,
} from '@stagecoach/contracts';
import {
  claimNotification,
  createApprovalLinks,
  finishNotification,
  getProject,
  getRun,
  listJobRuns,
  loadRunSecrets,
  previousRunStatus,
  type Db,
  type RunRow,
  emailsOf,
  openImApp,
} from '@stagecoach/db';
import { RetryLater, startRunEventConsumer, type StreamNames } from '@stagecoach/events';
import {
  deliverMessage,
  notifyTypeOf,
  runMessage,
  shouldNotify,
  type NotificationContext,
  type NotifyLevel,
  type Mailer,
  type RetryPolicy,
} from '@stagecoach/notify';
import { maskSecrets, type Logger, type SecretBox } from '@stagecoach/platform';
import {
  dynamicRecipientKeys,
  isTerminal,
  renderJob,
  stageStatusFromJobs,
  withDynamicRecipients,
  type NotifyCtl,
  type RunNotifyCtls,
  type Status,
} from '@stagecoach/spec';
import type { NatsConnection } from 'nats';
import { createTriggerFeedback } from './trigger-feedback.js';

export interface NotifierOptions {
  nc: NatsConnection;
  db: Db;
  names?: StreamNames;
  logger: Logger;
  /** Base of run links (STAGECOACH_PUBLIC_URL). */
  publicUrl: string;
  /**
   * Opens sealed secrets: trigger secrets (comments back to Jira / Feishu Project need their API tokens)
   * and a run's credential params where its notify_ctls name them.
   */
  box: SecretBox;
  /** Durable consumer name (default `notifier`). */
  durableName?: string;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  retryPolicy?: RetryPolicy;
  /** SMTP for `mail` ctls (STAGECOACH_SMTP_URL); absent, mail ctls are recorded as failed */
  mailer?: Mailer;
  /** Redelivery delay while the projector has not caught up with a run event (default 200 ms). */
  projectionWaitMs?: number;
}

export interface Notifier {
  stop(): Promise<void>;
}

interface Candidate {
  key: string;
  ctl: NotifyCtl;
  level: NotifyLevel;
}

function candidates(ctls: RunNotifyCtls, event: RunEvent): Candidate[] {
  const out: Candidate[] = (ctls.workflow ?? []).map((ctl, i) => ({ key: `workflow:${i}`, ctl, level: 'workflow' }));
  if (event.kind === 'job' && event.job) {
    (ctls.jobs?.[event.job] ?? []).forEach((ctl, i) => out.push({ key: `job:${event.job}:${i}`, ctl, level: 'job' }));
  }
  return out;
}

/** Runs whose frozen notify_ctls the notifier keeps in memory. */
const CTLS_CACHE_SIZE = 10_000;

/** How long a run event may wait in-process for the projector, and how often it looks. */
const PROJECTION_POLL_MS = 300;
const PROJECTION_POLL_INTERVAL_MS = 2;

const behind = (run: RunRow, event: RunEvent) =>
  run.lastEventRetry < event.retryNum || (run.lastEventRetry === event.retryNum && run.lastEventSeq < event.seq);

/**
 * A run's final event, when every job already shows a final status, needs nothing more from the
 * projector: the stages' own statuses follow from their jobs' (Zadig's table), and the event gives
 * the run's. Otherwise (jobs that never ran, a cancellation the projector spreads over the jobs)
 * undefined: the notifier waits for the projection.
 */
function settledAtEnd(run: RunRow, event: RunEvent): RunRow | undefined {
  if (event.kind !== 'run' || !isTerminal(event.status)) return undefined;
  if (!run.stages.every((s) => s.jobs.every((j) => isTerminal(j.status)))) return undefined;
  const stages = run.stages.map((s) =>
    isTerminal(s.status) ? s : { ...s, status: stageStatusFromJobs(s.jobs.map((j) => j.status)) },
  );
  return { ...run, stages, endTime: new Date(event.time) };
}

/** The stages document with this job event's status laid over it (the projector may not have applied it yet). */
function stagesWith(stages: StageResult[], event: RunEvent): StageResult[] {
  if (event.kind !== 'job') return stages;
  return stages.map((s) => ({
    ...s,
    jobs: s.jobs.map((j) => (j.name === event.job ? { ...j, status: event.status } : j)),
  }));
}

/**
 * Delivers notify_ctls of runs: a durable pull consumer of the events stream. For each run or job
 * event it finds the ctls of the run's frozen definition that subscribe to it, records a
 * `notifications` row per ctl as `sending` before the POST and marks it sent or failed after; the
 * message is acked once every outcome is recorded. A redelivered event sends only what is still
 * `sending` (see claimNotification).
 */
export async function startNotifier(opts: NotifierOptions): Promise<Notifier> {
  const log = opts.logger.child({ component: 'notifier' });
  const durableName = opts.durableName ?? 'notifier';

  const sendDeps = {
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
    ...(opts.sleep ? { sleep: opts.sleep } : {}),
    ...(opts.retryPolicy ? { policy: opts.retryPolicy } : {}),
    ...(opts.mailer ? { mailer: opts.mailer } : {}),
    larkApps: (key: string) => openImApp(opts.db, opts.box, key),
  };

  async function deliver(run: RunRow, c: Candidate, ctx: NotificationContext): Promise<void> {
    const claimed = await claimNotification(opts.db, {
      eventId: ctx.eventId,
      ctl: c.key,
      runId: run.id,
      webhookType: String(c.ctl.webhook_type),
      notifyType: ctx.notifyType,
    });
    const fields = {
      runId: run.id,
      eventId: ctx.eventId,
      ctl: c.key,
      webhookType: c.ctl.webhook_type,
      notifyType: ctx.notifyType,
    };
    if (!claimed) {
      log.debug(fields, 'notification already handled');
      return;
    }
    const credentials = await credentialsOf(run, c.ctl);
    const result = await deliverMessage(credentials ? renderJob(c.ctl, credentials) : c.ctl, runMessage(ctx), {
      ...sendDeps,
      mailDirectory: { creator: run.creator, emailsOf: (names) => emailsOf(opts.db, names) },
    });
    const error = credentials && result.error ? maskSecrets(result.error, Object.values(credentials)) : result.error;
    await finishNotification(
      opts.db,
      { eventId: ctx.eventId, ctl: c.key },
      { status: result.ok ? 'sent' : 'failed', attempts: result.attempts, error },
    );
    if (result.ok) log.info({ ...fields, attempts: result.attempts }, 'notification sent');
    else log.warn({ ...fields, attempts: result.attempts, error }, 'notification failed');
  }

  /**
   * The run's credential params by the keys of its placeholders, when `ctl` holds one: the run froze its
   * ctls with the placeholders, and the values are read from run_secrets only for the send.
   */
  async function credentialsOf(run: RunRow, ctl: NotifyCtl): Promise<Record<string, string> | undefined> {
    const marker = run.notifyCtls?.secretMarker;
    if (!marker || !JSON.stringify(ctl).includes(marker)) return undefined;
    const secrets = await loadRunSecrets(opts.db, run.id, opts.box);
    return credentialValues(secrets, marker);
  }

  const triggerFeedback = createTriggerFeedback(opts);

  /** An approval job starting: a personal link per approver for the messages (tokens stored hashed). */
  async function approvalLinksFor(event: RunEvent) {
    if (event.kind !== 'job' || event.status !== 'wait_for_approval' || !event.approval || !event.job) return undefined;
    const links = await createApprovalLinks(
      opts.db,
      { runId: event.runId, job: event.job, retryNum: event.retryNum },
      event.approval.approvers,
    );
    return links.map((l) => ({ approver: l.approver, url: approvalPageUrl(opts.publicUrl, l.token) }));
  }

  /**
   * Messages list every stage and job, so a run event waits until the projector has applied it,
   * or, for the run's end, until every job shows its final status (settledAtEnd). The projector is usually milliseconds behind: poll briefly before handing the event back to
   * JetStream for a later redelivery (which would cost at least the redelivery delay).
   */
  async function projected(run: RunRow, event: RunEvent): Promise<RunRow> {
    const deadline = Date.now() + PROJECTION_POLL_MS;
    let current = run;
    while (behind(current, event)) {
      const settled = settledAtEnd(current, event);
      if (settled) return settled;
      if (Date.now() > deadline) throw new RetryLater('run not projected yet', opts.projectionWaitMs ?? 200);
      await new Promise((r) => setTimeout(r, PROJECTION_POLL_INTERVAL_MS));
      current = (await getRun(opts.db, event.runId)) ?? current;
    }
    return current;
  }

  /**
   * A run's notify_ctls are frozen when it starts, so they are read once per run and kept: most
   * events (every job's) concern no ctl and are settled without a query.
   */
  const frozenCtls = new Map<string, RunNotifyCtls | null>();
  async function ctlsOf(runId: string): Promise<RunNotifyCtls | null> {
    const cached = frozenCtls.get(runId);
    if (cached !== undefined) return cached;
    const run = await getRun(opts.db, runId);
    if (!run) return null; // not inserted yet (or deleted): not cached, asked again next time
    frozenCtls.set(runId, run.notifyCtls ?? null);
    if (frozenCtls.size > CTLS_CACHE_SIZE) frozenCtls.delete(frozenCtls.keys().next().value!);
    return run.notifyCtls ?? null;
  }

  /**
   * What `dynamic_recipients` keys resolve against: the trigger's payload, params, creator, each
   * job's status and outputs.
   */
  async function runVariables(run: RunRow): Promise<Record<string, string>> {
    const values: Record<string, string> = { ...run.notifyCtls?.variables, 'workflow.task.creator': run.creator };
    for (const [name, value] of Object.entries(run.params)) values[`workflow.params.${name}`] = value;
    for (const job of await listJobRuns(opts.db, run.id)) {
      values[`job.${job.job}.status`] = job.status;
      for (const [name, value] of Object.entries(job.outputs ?? {})) values[`job.${job.job}.output.${name}`] = value;
    }
    return values;
  }

  async function handle(event: RunEvent): Promise<void> {
    if (event.kind === 'stage') return;
    // Comment-back and notifications are independent: neither waits for the other, but both finish
    // before the event is acked or handed back, so a redelivery never overlaps a send in flight.
    const outcomes = await Promise.allSettled([triggerFeedback(event), notify(event)]);
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed) throw failed.reason;
  }

  async function notify(event: RunEvent): Promise<void> {
    const ctls = await ctlsOf(event.runId);
    if (!ctls) return;
    const all = candidates(ctls, event).filter((c) => notifyTypeOf(event, c.level) !== undefined);
    if (all.length === 0) return;
    const found = await getRun(opts.db, event.runId);
    if (!found) return;
    let run = found;
    let previous: Status | undefined;
    if (all.some((c) => c.level === 'workflow' && c.ctl.notify_type?.includes('changed'))) {
      previous = await previousRunStatus(opts.db, run.project, run.workflow, run.runNumber);
    }
    const matching = all.filter((c) => shouldNotify(c.ctl, event, previous, c.level));
    if (matching.length === 0) return;
    if (event.kind === 'run') run = await projected(run, event);

    const url = runUrl(opts.publicUrl, run.project, run.workflow, run.runNumber);
    const stages = stagesWith(run.stages, event);
    const approvalLinks = await approvalLinksFor(event);
    const variables = matching.some((c) => dynamicRecipientKeys(c.ctl).length > 0) ? await runVariables(run) : {};
    const jobResult = event.job ? stages.flatMap((s) => s.jobs).find((j) => j.name === event.job) : undefined;
    // Only the generic webhook's body carries the project's display name and the creator's address.
    const webhook = matching.some((c) => c.ctl.webhook_type === 'webhook');
    const projectDisplayName = webhook ? (await getProject(opts.db, run.project))?.displayName : undefined;
    const creatorEmail = webhook ? (await emailsOf(opts.db, [run.creator])).get(run.creator) : undefined;
    await Promise.all(
      matching.map((c) => {
        const notifyType = notifyTypeOf(event, c.level)!;
        // `created` is once per run, whichever of queued/running announced the start.
        const eventId = notifyType === 'created' ? `${run.id}:created` : eventMsgId(event);
        const ctx: NotificationContext = {
          eventId,
          level: c.level,
          notifyType,
          project: run.project,
          ...(projectDisplayName ? { projectDisplayName } : {}),
          workflow: run.workflow,
          workflowDisplayName: run.notifyCtls?.displayName ?? run.workflow,
          runNumber: run.runNumber,
          createTime: run.createdAt.getTime(),
          status: event.status,
          creator: run.creator,
          ...(creatorEmail ? { creatorEmail } : {}),
          ...(run.remark ? { remark: run.remark } : {}),
          ...(run.startTime ? { startTime: run.startTime.getTime() } : {}),
          ...(run.endTime && event.kind === 'run' ? { endTime: run.endTime.getTime() } : {}),
          ...(event.kind === 'run' && (event.error ?? run.error) ? { error: event.error ?? run.error ?? '' } : {}),
          stages,
          ...(event.kind === 'job' && event.job
            ? {
                job: {
                  name: event.job,
                  status: event.status,
                  ...(event.stage ? { stage: event.stage } : {}),
                  ...(event.error ? { error: event.error } : {}),
                },
              }
            : {}),
          url,
          ...(approvalLinks ? { approvalLinks } : {}),
        };
        if (jobResult?.startTime && c.level === 'job') {
          ctx.startTime = jobResult.startTime;
          ctx.endTime = event.time;
        }
        return deliver(run, { ...c, ctl: withDynamicRecipients(c.ctl, variables) }, ctx);
      }),
    );
  }

  const consumer = await startRunEventConsumer(
    {
      nc: opts.nc,
      durableName,
      logger: log,
      ...(opts.names ? { names: opts.names } : {}),
      // Sends retry with backoff inside one delivery; leave room before JetStream redelivers.
      ackWaitMs: 120_000,
    },
    handle,
  );
  return consumer;
}
