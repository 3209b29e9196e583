import type { StageResult } from '@stagecoach/contracts';
import { runWorkflowId } from '@stagecoach/contracts';
import type { RunNotifyCtls, Status } from '@stagecoach/spec';
import { and, asc, count, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { DbOrTx, Tx } from '../client.js';
import { PG_NOT_NULL_VIOLATION, pgErrorCode } from '../pg-errors.js';
import { jobRuns, runs, workflows, type JobRunRow, type RunRow } from '../schema/index.js';

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

/** Inserts a run row without taking its number (fixtures); starting a run uses insertRunTakingNumber. */
export async function insertRun(db: DbOrTx, input: NewRun): Promise<RunRow> {
  const [row] = await db.insert(runs).values(newRunValues(input)).returning();
  return row!;
}

/**
 * Starts a run's row: takes run number `input.runNumber` of its workflow and inserts the run with
 * status 'created', in one statement (`WITH taken AS (UPDATE workflows ...) INSERT INTO runs ...`),
 * the row carrying the number the UPDATE took. The number must be the workflow's next one, read with
 * lockWorkflowToRun in this transaction; any other number takes nothing and the statement fails
 * without writing.
 */
export async function insertRunTakingNumber(tx: Tx, input: NewRun): Promise<void> {
  const taken = tx.$with('taken').as(
    tx
      .update(workflows)
      .set({ nextRunNumber: sql`${workflows.nextRunNumber} + 1` })
      .where(
        and(
          eq(workflows.project, input.project),
          eq(workflows.name, input.workflow),
          eq(workflows.nextRunNumber, input.runNumber),
        ),
      )
      // RETURNING sees the updated row, so the number taken is the new value minus one.
      .returning({ runNumber: sql<number>`${workflows.nextRunNumber} - 1`.as('run_number') }),
  );
  try {
    await tx
      .with(taken)
      .insert(runs)
      .values({ ...newRunValues(input), runNumber: sql`(select ${taken.runNumber} from ${taken})` });
  } catch (err) {
    // Nothing taken: the subquery gave the NOT NULL run_number a null.
    if (pgErrorCode(err) !== PG_NOT_NULL_VIOLATION) throw err;
    throw new Error(`run number ${input.runNumber} is not the next of workflow "${input.project}/${input.workflow}"`, {
      cause: err,
    });
  }
}

/** The row a new run starts as: status 'created', its id the Temporal workflow id. */
export function newRunValues(input: NewRun): typeof runs.$inferInsert {
  return {
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
  };
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

/** Removes a run row (and by cascade its jobs and secrets): undoes the insert when Temporal refused the start. */
export async function deleteRun(db: DbOrTx, id: string): Promise<void> {
  await db.delete(runs).where(eq(runs.id, id));
}
