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
 * Records that this event is being sent to this ctl. Returns false when a row already exists (an
 * earlier delivery of the same event claimed it): the caller must then send nothing.
 */
export async function claimNotification(db: DbOrTx, claim: NotificationClaim): Promise<boolean> {
  const rows = await db
    .insert(notifications)
    .values({ ...claim, status: 'sending' })
    .onConflictDoNothing()
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
