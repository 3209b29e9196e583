import { setTimeout as delay } from 'node:timers/promises';
import { runEventProblem, type JobResult, type RunEvent, type StageResult } from '@stagecoach/contracts';
import type { Db } from '../client.js';
import { runs, type JobRunRow } from '../schema/index.js';
import { hasStarted, isTerminal } from '../status.js';
import { newRunValues } from './runs.repo.js';
import {
  readProjection,
  writeProjectionIfUnchanged,
  type ProjectedRun,
  type StoredProjection,
} from './run-projection.sql.js';

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
 * The projections one projector wrote last, by run (the most recent `maxRuns` runs not yet ended). A run's events come in
 * several batches (a stage's start, its jobs' ends, ...): the next batch folds onto what the last one
 * wrote instead of reading the run again, which halved the projector's statements. The write still
 * checks the row version, so a run someone else wrote meanwhile is read again.
 */
export class ProjectionCache {
  private readonly entries = new Map<string, StoredProjection>();

  constructor(private readonly maxRuns = 1_000) {}

  /** The run's kept projection, which is no longer kept: it is being folded onto. */
  take(runId: string): StoredProjection | undefined {
    const entry = this.entries.get(runId);
    this.entries.delete(runId);
    return entry;
  }

  keep(runId: string, entry: StoredProjection): void {
    // A run that has ended rarely hears more (a retry starts it again, and is read once).
    if (isTerminal(entry.run.status)) return;
    this.entries.set(runId, entry);
    if (this.entries.size > this.maxRuns) this.entries.delete(this.entries.keys().next().value!);
  }
}

/**
 * Applies run events to the projection. Idempotent and order-safe:
 * - run, each stage and each job keep the (retry, seq) of the newest event applied to them, and an
 *   event not newer than that is ignored, so redelivery or a late older event never moves anything back;
 * - a cancelled run stays cancelled for events of the same (or an older) retry: after a cancel the
 *   workflow may still report its last transitions, but only a retry (a higher retryNum) revives it.
 * A run's events are folded in memory in the order given and written in one statement, which applies
 * only if nothing wrote the run row since it was read; otherwise they are folded again on what is there
 * now. So concurrent projectors never lose each other's changes, and a burst of a stage's events costs
 * two statements per run, or one when `cache` holds what this caller wrote for the run last.
 */
export async function applyRunEvents(
  db: Db,
  events: readonly RunEvent[],
  cache?: ProjectionCache,
): Promise<ApplyResult[]> {
  const byRun = new Map<string, number[]>();
  events.forEach((event, i) => {
    const indexes = byRun.get(event.runId);
    if (indexes) indexes.push(i);
    else byRun.set(event.runId, [i]);
  });
  const results: ApplyResult[] = [];
  for (const [runId, indexes] of byRun) {
    const applied = await applyToRun(
      db,
      runId,
      indexes.map((i) => events[i]!),
      cache,
    );
    indexes.forEach((i, k) => (results[i] = applied[k]!));
  }
  return results;
}

export async function applyRunEvent(db: Db, event: RunEvent): Promise<ApplyResult> {
  const [result] = await applyRunEvents(db, [event]);
  return result!;
}

/** Writers of one run that keep coming first this many times in a row mean something is wrong. */
const MAX_WRITE_ATTEMPTS = 100;

async function applyToRun(
  db: Db,
  runId: string,
  events: readonly RunEvent[],
  cache: ProjectionCache | undefined,
): Promise<ApplyResult[]> {
  for (const event of events) checkShape(event);
  let inserted = false;
  let kept = cache?.take(runId);
  for (let attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
    const fromCache = kept !== undefined;
    const stored = kept ?? (await readProjection(db, runId));
    kept = undefined;
    if (!stored) {
      // The gateway inserts the row before starting the workflow; this only covers a lost insert
      // (or events replayed into an empty database) so no event is dropped for lack of a row.
      inserted = (await insertRunFromEvent(db, runId, events[0]!)) || inserted;
      continue;
    }
    const { run, jobs, version } = stored;
    const state: ProjectedRun = { ...run, stages: structuredClone(run.stages), stageMarks: { ...run.stageMarks } };
    const changedJobs = new Set<string>();
    let changed = false;
    const results = events.map((event, k): ApplyResult => {
      const applied =
        event.kind === 'run'
          ? foldRunLevel(state, event)
          : event.kind === 'stage'
            ? foldStageLevel(state, event)
            : foldJobLevel(state, jobs, event);
      if (applied && event.kind === 'job') changedJobs.add(event.job!);
      changed ||= applied;
      return { runExisted: !(inserted && k === 0), applied };
    });
    if (!changed) {
      // Nothing newer than a kept projection: the row itself decides (it may have been replaced since).
      if (fromCache) continue;
      cache?.keep(runId, stored);
      return results;
    }
    const changedRows = [...changedJobs].map((name) => jobs.get(name)!);
    const written = await writeProjectionIfUnchanged(db, state, changedRows, version);
    if (written) {
      cache?.keep(runId, { run: state, jobs, version: written });
      return results;
    }
    if (fromCache) continue;
    // Writers that lost together would read and write again in step: spread them out.
    await delay(Math.random() * Math.min(attempt, 10));
  }
  throw new Error(
    `run ${runId}: its events could not be written in ${MAX_WRITE_ATTEMPTS} attempts; other writers kept changing the run`,
  );
}

/** Inserts the run's row from its first event; false when a row was there (or came) first. */
async function insertRunFromEvent(db: Db, runId: string, first: RunEvent): Promise<boolean> {
  const rows = await db
    .insert(runs)
    .values({
      ...newRunValues({
        project: first.project,
        workflow: first.workflow,
        runNumber: first.runNumber,
        creator: first.creator ?? '',
        createdAt: new Date(first.time),
      }),
      // The event names its run; the projection keys by that, whatever its number says.
      id: runId,
      retryNum: first.retryNum,
    })
    .onConflictDoNothing()
    .returning({ id: runs.id });
  return rows.length > 0;
}

/** Consumers drop malformed events before they get here; a direct caller learns what is wrong. */
function checkShape(event: RunEvent): void {
  const problem = runEventProblem(event);
  if (problem) throw new Error(`run event ${event.runId}:${event.seq}: ${problem}`);
}

function foldRunLevel(run: ProjectedRun, event: RunEvent): boolean {
  if (!isNewer(event, [run.lastEventRetry, run.lastEventSeq])) return false;
  if (run.status === 'cancelled' && event.status !== 'cancelled' && event.retryNum <= run.retryNum) return false;
  const time = new Date(event.time);
  const newAttempt = event.retryNum > run.retryNum;
  run.status = event.status;
  run.retryNum = Math.max(run.retryNum, event.retryNum);
  // A retry restarts the clock, which the attempt's first status of running work sets: a retry may
  // queue first, and a run that ends without running (cancelled while queued) has no start.
  if (newAttempt) run.startTime = null;
  if (hasStarted(event.status) && !isTerminal(event.status) && !run.startTime) run.startTime = time;
  run.endTime = isTerminal(event.status) ? time : null;
  // The latest run-level event describes the run: a retry's 'running' clears the old error.
  run.error = event.error ?? null;
  run.creator = run.creator || event.creator || '';
  run.lastEventRetry = event.retryNum;
  run.lastEventSeq = event.seq;
  return true;
}

function foldStageLevel(run: ProjectedRun, event: RunEvent): boolean {
  const stageName = event.stage!;
  const previous = run.stageMarks[stageName];
  if (!isNewer(event, previous)) return false;
  const stage = findOrAddStage(run.stages, stageName);
  const newAttempt = previous !== undefined && event.retryNum > previous[0];
  stage.status = event.status;
  if (hasStarted(event.status) && (newAttempt || stage.startTime === undefined)) stage.startTime = event.time;
  if (isTerminal(event.status)) stage.endTime = event.time;
  else delete stage.endTime;
  run.stageMarks[stageName] = [event.retryNum, event.seq];
  return true;
}

function foldJobLevel(run: ProjectedRun, jobs: Map<string, JobRunRow>, event: RunEvent): boolean {
  const stageName = event.stage!;
  const jobName = event.job!;
  const existing = jobs.get(jobName);
  if (existing && !isNewer(event, [existing.lastEventRetry, existing.lastEventSeq])) return false;

  const time = new Date(event.time);
  const newAttempt = existing !== undefined && event.retryNum > existing.lastEventRetry;
  const startTime = hasStarted(event.status)
    ? newAttempt || !existing?.startTime
      ? time
      : existing.startTime
    : (existing?.startTime ?? null);
  const endTime = isTerminal(event.status) ? time : null;
  const row: JobRunRow = {
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
  jobs.set(jobName, row);
  // Mirror the job into the run's stages document so a run page needs one row.
  const stage = findOrAddStage(run.stages, stageName);
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
