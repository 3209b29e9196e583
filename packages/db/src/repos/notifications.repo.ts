import type { Status } from '@stagecoach/spec';
import { and, desc, eq, lt, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client.js';
import { notifications, runs, type NotificationRow } from '../schema/index.js';

export interface NotificationClaim {
  eventId: string;
  ctl: string;
  runId: string;
  webhookType: string;
  notifyType: string;
}

/**
 * Records that this event is being sent to this ctl and says whether the caller should send it: yes
 * for a new row, and yes again while an earlier delivery left it `sending` (that notifier died between
 * claiming and recording the outcome, the one window in which a message may go out twice); no once
 * the outcome is recorded. Redeliveries come only after the consumer's ack wait, so a live sender
 * is not raced.
 */
export async function claimNotification(db: DbOrTx, claim: NotificationClaim): Promise<boolean> {
  const rows = await db
    .insert(notifications)
    .values({ ...claim, status: 'sending' })
    .onConflictDoUpdate({
      target: [notifications.eventId, notifications.ctl],
      set: { status: 'sending' },
      setWhere: eq(notifications.status, 'sending'),
    })
    .returning({ eventId: notifications.eventId });
  return rows.length === 1;
}

export async function finishNotification(
  db: DbOrTx,
  key: { eventId: string; ctl: string },
  result: { status: 'sent' | 'failed'; attempts: number; error?: string },
): Promise<void> {
  await db
    .update(notifications)
    .set({ status: result.status, attempts: result.attempts, error: result.error ?? null, finishedAt: sql`now()` })
    .where(and(eq(notifications.eventId, key.eventId), eq(notifications.ctl, key.ctl)));
}

export function listNotifications(db: DbOrTx, runId: string): Promise<NotificationRow[]> {
  return db
    .select()
    .from(notifications)
    .where(eq(notifications.runId, runId))
    .orderBy(notifications.createdAt, notifications.ctl);
}

export interface WorkflowNotificationsQuery {
  project: string;
  workflow: string;
  status?: 'sending' | 'sent' | 'failed';
  limit: number;
  offset: number;
}

/** A workflow's notifications across its runs, newest first, with the run number: "what failed to send?". */
export async function listWorkflowNotifications(db: DbOrTx, q: WorkflowNotificationsQuery) {
  const where = and(
    eq(runs.project, q.project),
    eq(runs.workflow, q.workflow),
    ...(q.status ? [eq(notifications.status, q.status)] : []),
  );
  const [rows, totals] = await Promise.all([
    db
      .select({ notification: notifications, runNumber: runs.runNumber })
      .from(notifications)
      .innerJoin(runs, eq(runs.id, notifications.runId))
      .where(where)
      .orderBy(desc(notifications.createdAt), notifications.ctl)
      .limit(q.limit)
      .offset(q.offset),
    db
      .select({ total: sql<number>`count(*)::int` })
      .from(notifications)
      .innerJoin(runs, eq(runs.id, notifications.runId))
      .where(where),
  ]);
  return { rows, total: totals[0]?.total ?? 0 };
}

/** Status of the closest earlier run of the same workflow (for `changed`), if any. */
export async function previousRunStatus(
  db: DbOrTx,
  project: string,
  workflow: string,
  runNumber: number,
): Promise<Status | undefined> {
  const [row] = await db
    .select({ status: runs.status })
    .from(runs)
    .where(and(eq(runs.project, project), eq(runs.workflow, workflow), lt(runs.runNumber, runNumber)))
    .orderBy(desc(runs.runNumber))
    .limit(1);
  return row?.status;
}
