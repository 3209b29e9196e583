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
