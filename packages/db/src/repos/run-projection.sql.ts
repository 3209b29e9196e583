import { getTableColumns } from 'drizzle-orm';
import { toSnakeCase } from 'drizzle-orm/casing';
import type { Db } from '../client.js';
import { jobRuns, type JobRunRow, type RunRow } from '../schema/index.js';

/*
 * The projector's two statements, written as SQL and run as named prepared statements on the pool:
 * every run event passes through them, and drizzle's query building for each call was about half of
 * the projector's CPU. Job columns come from the drizzle schema; ProjectedRun is made of RUN_FIELDS.
 */

/** A run's projection as read, and the row version a write must find unchanged. */
export interface StoredProjection {
  run: ProjectedRun;
  /** every job row of the run, by job name */
  jobs: Map<string, JobRunRow>;
  /** the run row's xmin: any write to the row changes it */
  version: string;
}

/** The run columns projecting an event reads and writes: not the params or notification settings it carries. */
const RUN_FIELDS = [
  'status',
  'retryNum',
  'startTime',
  'endTime',
  'error',
  'creator',
  'lastEventRetry',
  'lastEventSeq',
  'stages',
  'stageMarks',
] as const satisfies readonly (keyof RunRow)[];

/** What projecting an event reads and writes of its run. */
export type ProjectedRun = Pick<RunRow, 'id' | (typeof RUN_FIELDS)[number]>;

const JOB_FIELDS = Object.keys(getTableColumns(jobRuns)) as (keyof JobRunRow)[];
const column = (field: string) => `"${toSnakeCase(field)}"`;

/** The run columns that hold a document of every stage and job: sent with the first row only. */
const DOCUMENT_FIELDS = new Set<string>(['stages', 'stageMarks']);

/**
 * One row per job of the run (or one with null job columns), each with the run's columns, but its
 * documents on the first row only: a run of N jobs would otherwise come back with N copies of them.
 * All of the jobs, not only those a batch names, so that the projection can be kept for the next batch.
 */
const READ = {
  name: 'stagecoach_projection_read',
  text: `SELECT r.xmin::text AS version,
    ${RUN_FIELDS.map((f) => (DOCUMENT_FIELDS.has(f) ? `CASE WHEN row_number() OVER w = 1 THEN r.${column(f)} END` : `r.${column(f)}`) + ` AS "${f}"`).join(', ')},
    ${JOB_FIELDS.map((f) => `j.${column(f)} AS "job.${f}"`).join(', ')}
  FROM runs r LEFT JOIN job_runs j ON j.run_id = r.id
  WHERE r.id = $1
  WINDOW w AS (ORDER BY j.job)
  ORDER BY j.job`,
};

/**
 * Writes the run and its changed jobs in one statement, only if the run row is still the version read:
 * the row lock taken in `locked` waits for a concurrent writer and then finds a new xmin, and with no
 * row in `locked` neither the jobs nor the run are written. Returns the row's new version.
 */
const WRITE = {
  name: 'stagecoach_projection_write',
  text: `WITH locked AS (
    SELECT id FROM runs WHERE id = $1 AND xmin = $2::xid FOR UPDATE
  ), upsert_jobs AS (
    INSERT INTO job_runs SELECT j.* FROM locked, jsonb_populate_recordset(NULL::job_runs, $3::jsonb) j
    ON CONFLICT (run_id, job) DO UPDATE SET ${JOB_FIELDS.map((f) => `${column(f)} = excluded.${column(f)}`).join(', ')}
  )
  UPDATE runs SET ${RUN_FIELDS.map((f, i) => `${column(f)} = $${i + 4}`).join(', ')}
  FROM locked WHERE runs.id = locked.id
  RETURNING runs.xmin::text AS version`,
};

/** The run's projection and its jobs' rows; undefined when the run has no row. */
export async function readProjection(db: Db, runId: string): Promise<StoredProjection | undefined> {
  const { rows } = await db.$client.query<Record<string, unknown>>({ ...READ, values: [runId] });
  const first = rows[0];
  if (!first) return undefined;
  const run = { id: runId } as Record<string, unknown>;
  for (const field of RUN_FIELDS) run[field] = first[field];
  const jobs = new Map<string, JobRunRow>();
  for (const row of rows) {
    if (row['job.job'] === null) continue;
    const job = {} as Record<string, unknown>;
    for (const field of JOB_FIELDS) job[field] = row[`job.${field}`];
    jobs.set(job.job as string, job as JobRunRow);
  }
  return { run: run as ProjectedRun, jobs, version: first.version as string };
}

/**
 * Writes `run` and `jobRows` if the run row is still at `version`, and returns its version after the write;
 * undefined when another writer came first.
 */
export async function writeProjectionIfUnchanged(
  db: Db,
  run: ProjectedRun,
  jobRows: readonly JobRunRow[],
  version: string,
): Promise<string | undefined> {
  const jobs = jobRows.map((row) => Object.fromEntries(JOB_FIELDS.map((f) => [toSnakeCase(f), row[f]])));
  const values = RUN_FIELDS.map((f) => (f === 'stages' || f === 'stageMarks' ? JSON.stringify(run[f]) : run[f]));
  const { rows } = await db.$client.query<{ version: string }>({
    ...WRITE,
    values: [run.id, version, JSON.stringify(jobs), ...values],
  });
  return rows[0]?.version;
}
