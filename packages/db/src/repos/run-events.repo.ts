import type { JobResult, RunEvent, StageResult } from '@stagecoach/contracts';
import { and, eq } from 'drizzle-orm';
import type { DbOrTx, Tx } from '../client.js';
import { jobRuns, runs, type RunRow } from '../schema/index.js';
import { hasStarted, isTerminal } from '../status.js';
import { newRunValues } from './runs.repo.js';

/** (retryNum, seq) of an event; ordered lexicographically because every retry restarts seq. */
type Mark = readonly [retry: number, seq: number];

function isNewer(event: RunEvent, mark: Mark | undefined): boolean {
  if (!mark) return true;
  const [retry, seq] = mark;
  return event.retryNum > retry || (event.retryNum === retry && event.seq > seq);
}

export interface ApplyResult {
  /** false when the run row did not exist and was inserted from the event */
  runExisted: boolean;
  /** false when the event was older than (or equal to) what is stored, or blocked by a sticky cancel */
  applied: boolean;
}

/**
 * Applies one run event to the projection in one transaction. Idempotent and order-safe:
 * - run, each stage and each job keep the (retry, seq) of the newest event applied to them, and an
 *   event not newer than that is ignored, so redelivery or a late older event never moves anything back;
 * - a cancelled run stays cancelled for events of the same (or an older) retry: after a cancel the
 *   workflow may still report its last transitions, but only a retry (a higher retryNum) revives it.
 * The run row is locked (SELECT ... FOR UPDATE) so concurrent projectors serialise per run.
 */
export function applyRunEvent(db: DbOrTx, event: RunEvent): Promise<ApplyResult> {
  return db.transaction(async (tx) => {
    let run = await lockRun(tx, event.runId);
    let inserted = false;
    if (!run) {
      // The gateway inserts the row before starting the workflow; this only covers a lost insert
      // (or events replayed into an empty database) so no event is dropped for lack of a row.
      const rows = await tx
        .insert(runs)
        .values({
          ...newRunValues({
            project: event.project,
            workflow: event.workflow,
            runNumber: event.runNumber,
            creator: event.creator ?? '',
            createdAt: new Date(event.time),
          }),
          // The event names its run; the projection keys by that, whatever its number says.
          id: event.runId,
          retryNum: event.retryNum,
        })
        .onConflictDoNothing()
        .returning({ id: runs.id });
      inserted = rows.length > 0;
      run = await lockRun(tx, event.runId);
      if (!run) throw new Error(`run ${event.runId} vanished while projecting`);
    }
    const applied =
      event.kind === 'run'
        ? await applyRunLevel(tx, run, event)
        : event.kind === 'stage'
          ? await applyStageLevel(tx, run, event)
          : await applyJobLevel(tx, run, event);
    return { runExisted: !inserted, applied };
  });
}

/** What projecting an event reads of its run: not the params or notification settings it carries. */
type ProjectedRun = Pick<
  RunRow,
  'id' | 'status' | 'retryNum' | 'startTime' | 'creator' | 'lastEventRetry' | 'lastEventSeq' | 'stages' | 'stageMarks'
>;

/** The run's projected state, its row locked until `tx` ends so concurrent projectors serialise per run. */
async function lockRun(tx: Tx, id: string): Promise<ProjectedRun | undefined> {
  const [run] = await tx
    .select({
      id: runs.id,
      status: runs.status,
      retryNum: runs.retryNum,
      startTime: runs.startTime,
      creator: runs.creator,
      lastEventRetry: runs.lastEventRetry,
      lastEventSeq: runs.lastEventSeq,
      stages: runs.stages,
      stageMarks: runs.stageMarks,
    })
    .from(runs)
    .where(eq(runs.id, id))
    .for('update');
  return run;
}

async function applyRunLevel(tx: Tx, run: ProjectedRun, event: RunEvent): Promise<boolean> {
  if (!isNewer(event, [run.lastEventRetry, run.lastEventSeq])) return false;
  if (run.status === 'cancelled' && event.status !== 'cancelled' && event.retryNum <= run.retryNum) return false;
  const time = new Date(event.time);
  const newAttempt = event.retryNum > run.retryNum;
  await tx
    .update(runs)
    .set({
      status: event.status,
      retryNum: Math.max(run.retryNum, event.retryNum),
      // A retry restarts the clock; otherwise the first started status sets it.
      startTime: hasStarted(event.status) ? (newAttempt || !run.startTime ? time : run.startTime) : run.startTime,
      endTime: isTerminal(event.status) ? time : null,
      // The latest run-level event describes the run: a retry's 'running' clears the old error.
      error: event.error ?? null,
      creator: run.creator || event.creator || '',
      lastEventRetry: event.retryNum,
      lastEventSeq: event.seq,
    })
    .where(eq(runs.id, run.id));
  return true;
}

async function applyStageLevel(tx: Tx, run: ProjectedRun, event: RunEvent): Promise<boolean> {
  const stageName = event.stage;
  if (stageName === undefined) throw new Error(`stage event ${event.runId}:${event.seq} has no stage`);
  if (!isNewer(event, run.stageMarks[stageName])) return false;
  const stages = structuredClone(run.stages);
  const stage = findOrAddStage(stages, stageName);
  const previous = run.stageMarks[stageName];
  const newAttempt = previous !== undefined && event.retryNum > previous[0];
  stage.status = event.status;
  if (hasStarted(event.status) && (newAttempt || stage.startTime === undefined)) stage.startTime = event.time;
  if (isTerminal(event.status)) stage.endTime = event.time;
  else delete stage.endTime;
  await tx
    .update(runs)
    .set({ stages, stageMarks: { ...run.stageMarks, [stageName]: [event.retryNum, event.seq] } })
    .where(eq(runs.id, run.id));
  return true;
}

async function applyJobLevel(tx: Tx, run: ProjectedRun, event: RunEvent): Promise<boolean> {
  const { stage: stageName, job: jobName } = event;
  if (stageName === undefined || jobName === undefined) {
    throw new Error(`job event ${event.runId}:${event.seq} has no stage or job`);
  }
  const [existing] = await tx
    .select()
    .from(jobRuns)
    .where(and(eq(jobRuns.runId, run.id), eq(jobRuns.job, jobName)))
    .for('update');
  if (existing && !isNewer(event, [existing.lastEventRetry, existing.lastEventSeq])) return false;

  const time = new Date(event.time);
  const newAttempt = existing !== undefined && event.retryNum > existing.lastEventRetry;
  const startTime = hasStarted(event.status)
    ? newAttempt || !existing?.startTime
      ? time
      : existing.startTime
    : (existing?.startTime ?? null);
  const endTime = isTerminal(event.status) ? time : null;
  const row = {
    runId: run.id,
    stage: stageName,
    job: jobName,
    jobType: event.jobType ?? existing?.jobType ?? '',
    status: event.status,
    startTime,
    endTime,
    // Fields an event leaves out keep their value (an approval vote event carries no outputs),
    // except the error, which always describes the latest transition.
    error: event.error ?? null,
    outputs: event.outputs ?? existing?.outputs ?? null,
    retryCount: event.retryCount ?? existing?.retryCount ?? 0,
    approval: event.approval ?? existing?.approval ?? null,
    lastEventRetry: event.retryNum,
    lastEventSeq: event.seq,
  };
  // Mirror the job into the run's stages document so a run page needs one row.
  const stages = structuredClone(run.stages);
  const stage = findOrAddStage(stages, stageName);
  let job = stage.jobs.find((j) => j.name === jobName);
  if (!job) {
    job = { name: jobName, type: row.jobType, status: event.status };
    stage.jobs.push(job);
  }
  const next: JobResult = {
    name: jobName,
    type: row.jobType || job.type,
    status: event.status,
    ...(startTime ? { startTime: startTime.getTime() } : {}),
    ...(endTime ? { endTime: endTime.getTime() } : {}),
    ...(row.error !== null ? { error: row.error } : {}),
    ...(row.outputs ? { outputs: row.outputs } : {}),
    ...(row.retryCount ? { retryCount: row.retryCount } : {}),
    ...(row.approval ? { approval: row.approval } : {}),
  };
  stage.jobs[stage.jobs.indexOf(job)] = next;
  // Both writes in one statement: a data-modifying WITH runs whether or not the UPDATE reads it.
  const upsertJob = tx.$with('upsert_job').as(
    tx
      .insert(jobRuns)
      .values(row)
      .onConflictDoUpdate({ target: [jobRuns.runId, jobRuns.job], set: row })
      .returning({ runId: jobRuns.runId }),
  );
  await tx.with(upsertJob).update(runs).set({ stages }).where(eq(runs.id, run.id));
  return true;
}

function findOrAddStage(stages: StageResult[], name: string): StageResult {
  let stage = stages.find((s) => s.name === name);
  if (!stage) {
    // Unknown stage (no skeleton given at insert): append, events arrive roughly in stage order.
    stage = { name, status: 'created', jobs: [] };
    stages.push(stage);
  }
  return stage;
}
