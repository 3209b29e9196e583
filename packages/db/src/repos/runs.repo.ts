import type { StageResult } from '@stagecoach/contracts';
import { runWorkflowId } from '@stagecoach/contracts';
import { NotFoundError } from '@stagecoach/platform';
import type { RunNotifyCtls, Status } from '@stagecoach/spec';
import { and, asc, count, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../client.js';
import { jobRuns, runs, workflows, type JobRunRow, type RunRow } from '../schema/index.js';

/**
 * Takes the next run number of a workflow. One UPDATE ... RETURNING: the row lock serialises
 * concurrent callers, so no two get the same number. Call it in the same transaction as insertRun
 * (see withTransaction) so a failed insert gives the number back instead of leaving a gap.
 */
export async function allocateRunNumber(db: DbOrTx, project: string, workflow: string): Promise<number> {
  const [row] = await db
    .update(workflows)
    .set({ nextRunNumber: sql`${workflows.nextRunNumber} + 1` })
    .where(and(eq(workflows.project, project), eq(workflows.name, workflow)))
    // RETURNING sees the updated row, so the number handed out is the new value minus one.
    .returning({ runNumber: sql<number>`${workflows.nextRunNumber} - 1` });
  if (!row) throw new NotFoundError(`workflow "${project}/${workflow}" not found`);
  return Number(row.runNumber);
}

export interface NewRun {
  project: string;
  workflow: string;
  runNumber: number;
  creator: string;
  remark?: string;
  /** Non-credential params only: credential values go to storeRunSecrets. */
  params?: Record<string, string>;
  /**
   * Initial stage/job skeleton from the definition, so the run page shows every stage in
   * definition order before the first event (the projector fills statuses in place).
   */
  stages?: StageResult[];
  createdAt?: Date;
  /** Notification settings frozen from the definition. */
  notifyCtls?: RunNotifyCtls;
}

/** Inserts the run row with status 'created'; its id is the Temporal workflow id. */
export async function insertRun(db: DbOrTx, input: NewRun): Promise<RunRow> {
  const [row] = await db
    .insert(runs)
    .values({
      id: runWorkflowId(input.project, input.workflow, input.runNumber),
      project: input.project,
      workflow: input.workflow,
      runNumber: input.runNumber,
      status: 'created',
      creator: input.creator,
      remark: input.remark ?? null,
      params: input.params ?? {},
      stages: input.stages ?? [],
      notifyCtls: input.notifyCtls ?? null,
      ...(input.createdAt ? { createdAt: input.createdAt } : {}),
    })
    .returning();
  return row!;
}

export async function getRun(db: DbOrTx, id: string): Promise<RunRow | undefined> {
  const [row] = await db.select().from(runs).where(eq(runs.id, id));
  return row;
}

export interface ListRunsQuery {
  project: string;
  workflow: string;
  status?: Status | Status[];
  creator?: string;
  limit: number;
  offset: number;
}

/** Newest first (run_number desc), with the total count of matching runs for paging. */
export async function listRuns(db: DbOrTx, query: ListRunsQuery): Promise<{ runs: RunRow[]; total: number }> {
  const conditions: SQL[] = [eq(runs.project, query.project), eq(runs.workflow, query.workflow)];
  if (query.status !== undefined) {
    const statuses = Array.isArray(query.status) ? query.status : [query.status];
    conditions.push(inArray(runs.status, statuses));
  }
  if (query.creator !== undefined) conditions.push(eq(runs.creator, query.creator));
  const where = and(...conditions);
  const [rows, totals] = await Promise.all([
    db.select().from(runs).where(where).orderBy(desc(runs.runNumber)).limit(query.limit).offset(query.offset),
    db.select({ total: count() }).from(runs).where(where),
  ]);
  return { runs: rows, total: totals[0]?.total ?? 0 };
}

/** Job rows of a run in a stable order (stage, job); the run's `stages` column keeps definition order. */
export function listJobRuns(db: DbOrTx, runId: string): Promise<JobRunRow[]> {
  return db.select().from(jobRuns).where(eq(jobRuns.runId, runId)).orderBy(asc(jobRuns.stage), asc(jobRuns.job));
}

/** Removes a run row (and by cascade its jobs and secrets): undoes insertRun when the start failed. */
export async function deleteRun(db: DbOrTx, id: string): Promise<void> {
  await db.delete(runs).where(eq(runs.id, id));
}
