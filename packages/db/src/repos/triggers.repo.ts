import { and, desc, eq, inArray, lt, notInArray, sql } from 'drizzle-orm';
import { ConflictError } from '@stagecoach/platform';
import type { DbOrTx, Tx } from '../client.js';
import { PG_UNIQUE_VIOLATION, pgErrorCode } from '../pg-errors.js';
import { TERMINAL_STATUSES } from '../status.js';
import {
  runs,
  triggerDeliveries,
  triggers,
  type DeliveryDecision,
  type TriggerDeliveryRow,
  type TriggerKind,
  type TriggerRow,
} from '../schema/index.js';

export type NewTrigger = Omit<TriggerRow, 'id' | 'createdAt' | 'updatedAt'>;

export async function insertTrigger(db: DbOrTx, input: NewTrigger): Promise<TriggerRow> {
  try {
    const [row] = await db.insert(triggers).values(input).returning();
    return row!;
  } catch (err) {
    if (pgErrorCode(err) === PG_UNIQUE_VIOLATION) {
      throw new ConflictError(`a ${input.kind} trigger named "${input.name}" already exists on this workflow`);
    }
    throw err;
  }
}

export async function updateTrigger(
  db: DbOrTx,
  id: string,
  changes: Omit<NewTrigger, 'workflowId' | 'project' | 'workflow' | 'kind' | 'createdBy'>,
): Promise<TriggerRow | undefined> {
  const [row] = await db
    .update(triggers)
    .set({ ...changes, updatedAt: new Date() })
    .where(eq(triggers.id, id))
    .returning();
  return row;
}

export async function getTrigger(db: DbOrTx, id: string): Promise<TriggerRow | undefined> {
  const [row] = await db.select().from(triggers).where(eq(triggers.id, id));
  return row;
}

export async function getTriggerByName(
  db: DbOrTx,
  workflowId: number,
  kind: TriggerKind,
  name: string,
): Promise<TriggerRow | undefined> {
  const [row] = await db
    .select()
    .from(triggers)
    .where(and(eq(triggers.workflowId, workflowId), eq(triggers.kind, kind), eq(triggers.name, name)));
  return row;
}

export function listTriggers(db: DbOrTx, workflowId: number, kind?: TriggerKind): Promise<TriggerRow[]> {
  const where = kind
    ? and(eq(triggers.workflowId, workflowId), eq(triggers.kind, kind))
    : eq(triggers.workflowId, workflowId);
  return db.select().from(triggers).where(where).orderBy(triggers.createdAt);
}

/** Git triggers of one repository (`<source>:<owner>/<name>`, lower case), across all workflows. */
export function listGitTriggersOfRepo(db: DbOrTx, repoKey: string): Promise<TriggerRow[]> {
  return db
    .select()
    .from(triggers)
    .where(and(eq(triggers.kind, 'git'), eq(triggers.repoKey, repoKey)))
    .orderBy(triggers.createdAt);
}

export async function deleteTrigger(db: DbOrTx, id: string): Promise<boolean> {
  const rows = await db.delete(triggers).where(eq(triggers.id, id)).returning({ id: triggers.id });
  return rows.length === 1;
}

export interface DeliveryClaim {
  source: string;
  deliveryKey: string;
  triggerId: string;
  project: string;
  workflow: string;
  event: string;
  context?: Record<string, string>;
}

/**
 * Inserts the (source, key, trigger) row if it is new and locks it until the transaction ends, so a
 * concurrent duplicate waits here and then sees the decision the first one recorded.
 */
export async function claimDelivery(tx: Tx, claim: DeliveryClaim): Promise<TriggerDeliveryRow> {
  await tx
    .insert(triggerDeliveries)
    .values({ ...claim, context: claim.context ?? {}, decision: 'pending' })
    .onConflictDoNothing();
  const [row] = await tx
    .select()
    .from(triggerDeliveries)
    .where(
      and(
        eq(triggerDeliveries.source, claim.source),
        eq(triggerDeliveries.deliveryKey, claim.deliveryKey),
        eq(triggerDeliveries.triggerId, claim.triggerId),
      ),
    )
    .for('update');
  return row!;
}

export interface DeliveryOutcome {
  decision: DeliveryDecision;
  reason?: string | null;
  runNumber?: number | null;
  pendingStart?: unknown;
  context?: Record<string, string>;
}

export async function recordDeliveryOutcome(db: DbOrTx, id: string, outcome: DeliveryOutcome): Promise<void> {
  await db
    .update(triggerDeliveries)
    .set({
      decision: outcome.decision,
      reason: outcome.reason ?? null,
      ...(outcome.runNumber !== undefined ? { runNumber: outcome.runNumber } : {}),
      pendingStart: outcome.pendingStart ?? null,
      ...(outcome.context ? { context: outcome.context } : {}),
      decidedAt: new Date(),
    })
    .where(eq(triggerDeliveries.id, id));
}

/** Deliveries whose run was allocated but not yet started in Temporal (a crash in between). */
export function listStartingDeliveries(db: DbOrTx, olderThan: Date): Promise<TriggerDeliveryRow[]> {
  return db
    .select()
    .from(triggerDeliveries)
    .where(and(eq(triggerDeliveries.decision, 'starting'), lt(triggerDeliveries.receivedAt, olderThan)));
}

export interface ListDeliveriesQuery {
  project: string;
  workflow: string;
  limit: number;
  offset: number;
}

/** Newest first, with the trigger's kind and name, for "why didn't my trigger fire?". */
export async function listDeliveries(db: DbOrTx, query: ListDeliveriesQuery) {
  const where = and(eq(triggerDeliveries.project, query.project), eq(triggerDeliveries.workflow, query.workflow));
  const [rows, totals] = await Promise.all([
    db
      .select({ delivery: triggerDeliveries, triggerKind: triggers.kind, triggerName: triggers.name })
      .from(triggerDeliveries)
      .innerJoin(triggers, eq(triggers.id, triggerDeliveries.triggerId))
      .where(where)
      .orderBy(desc(triggerDeliveries.receivedAt))
      .limit(query.limit)
      .offset(query.offset),
    db
      .select({ total: sql<number>`count(*)::int` })
      .from(triggerDeliveries)
      .where(where),
  ]);
  return { rows, total: totals[0]?.total ?? 0 };
}

/** The delivery that started a run, if a trigger started it (Jira/Meego comment back, auto-cancel). */
export async function getDeliveryOfRun(
  db: DbOrTx,
  project: string,
  workflow: string,
  runNumber: number,
): Promise<TriggerDeliveryRow | undefined> {
  const [row] = await db
    .select()
    .from(triggerDeliveries)
    .where(
      and(
        eq(triggerDeliveries.project, project),
        eq(triggerDeliveries.workflow, workflow),
        eq(triggerDeliveries.runNumber, runNumber),
        eq(triggerDeliveries.decision, 'started'),
      ),
    );
  return row;
}

/** Joins a delivery to the run it started. */
const RUN_OF_DELIVERY = and(
  eq(runs.project, triggerDeliveries.project),
  eq(runs.workflow, triggerDeliveries.workflow),
  eq(runs.runNumber, triggerDeliveries.runNumber),
);

export interface SupersededQuery {
  project: string;
  workflow: string;
  event: string;
  /** the PR number for PR events, the ref for pushes */
  subject: string;
  commitId: string;
}

/**
 * Run numbers of earlier webhook runs of the workflow for the same event type and PR/ref but another
 * commit that have not finished: what Zadig's `auto_cancel` cancels when a newer commit arrives.
 */
export async function listSupersededRuns(db: DbOrTx, q: SupersededQuery): Promise<number[]> {
  const rows = await db
    .select({ runNumber: triggerDeliveries.runNumber })
    .from(triggerDeliveries)
    .innerJoin(runs, RUN_OF_DELIVERY)
    .where(
      and(
        eq(triggerDeliveries.project, q.project),
        eq(triggerDeliveries.workflow, q.workflow),
        eq(triggerDeliveries.decision, 'started'),
        eq(triggerDeliveries.event, q.event),
        sql`${triggerDeliveries.context}->>'subject' = ${q.subject}`,
        sql`${triggerDeliveries.context}->>'commit_id' <> ${q.commitId}`,
        notInArray(runs.status, [...TERMINAL_STATUSES]),
      ),
    );
  return rows.map((r) => r.runNumber!).filter((n) => n !== null);
}

/** A run this trigger started that has not finished yet, if any (a timer skips while one runs). */
export async function unfinishedRunOfTrigger(db: DbOrTx, triggerId: string): Promise<number | undefined> {
  const [row] = await db
    .select({ runNumber: triggerDeliveries.runNumber })
    .from(triggerDeliveries)
    .innerJoin(runs, RUN_OF_DELIVERY)
    .where(
      and(
        eq(triggerDeliveries.triggerId, triggerId),
        inArray(triggerDeliveries.decision, ['starting', 'started']),
        notInArray(runs.status, [...TERMINAL_STATUSES]),
      ),
    )
    .limit(1);
  return row?.runNumber ?? undefined;
}
