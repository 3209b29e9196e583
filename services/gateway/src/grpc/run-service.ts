import { Code, ConnectError, type ServiceImpl } from '@connectrpc/connect';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate, timestampFromMs } from '@bufbuild/protobuf/wkt';
import { runWorkflowId, type ApprovalState } from '@stagecoach/contracts';
import { listJobRuns } from '@stagecoach/db';
import { watchRun, type RunWatchItem } from '@stagecoach/events';
import {
  Scope,
  type ApprovalSchema,
  type RunSchema,
  type RunService,
  type RunSummarySchema,
  type WatchRunResponseSchema,
} from '@stagecoach/proto';
import { approveJob, cancelRun, currentAttempt, retryRun, startRun } from '@stagecoach/runs';
import type { GatewayDeps } from '../deps.js';
import { MAX_OFFSET } from '../schemas.js';
import {
  ensureRunHasJob,
  existingRun,
  listWorkflowRuns,
  runDetail,
  runServiceDeps,
  runStatuses,
  type runSummary,
} from '../routes/runs.routes.js';
import { callerOf } from './access.js';
import { atMost, checkRequest, key, positive, required } from './validate.js';

const DEFAULT_PAGE_SIZE = 20;
const MAX_PAGE_SIZE = 200;

const time = (iso: string | null) => (iso ? timestampFromDate(new Date(iso)) : undefined);

// The REST shapes (routes/runs.routes.ts) are the one description of a run; these only rename them.
function toRunSummary(run: ReturnType<typeof runSummary>): MessageInitShape<typeof RunSummarySchema> {
  return {
    runNumber: run.run_number,
    status: run.status,
    creator: run.creator,
    remark: run.remark ?? '',
    retryNum: run.retry_num,
    createdAt: time(run.created_at),
    startTime: time(run.start_time),
    endTime: time(run.end_time),
    error: run.error ?? '',
  };
}

function toRun(run: ReturnType<typeof runDetail>): MessageInitShape<typeof RunSchema> {
  return {
    summary: toRunSummary(run),
    project: run.project,
    workflow: run.workflow,
    params: run.params,
    stages: run.stages.map((stage) => ({
      name: stage.name,
      status: stage.status,
      startTime: time(stage.start_time),
      endTime: time(stage.end_time),
      jobs: stage.jobs.map((job) => ({
        name: job.name,
        type: job.type,
        status: job.status,
        startTime: time(job.start_time),
        endTime: time(job.end_time),
        error: job.error ?? '',
        outputs: job.outputs,
        retryCount: job.retry_count,
        approval: job.approval
          ? {
              approvers: job.approval.approvers,
              neededApprovers: job.approval.needed_approvers,
              votes: job.approval.votes.map((v) => ({
                user: v.user,
                approve: v.approve,
                comment: v.comment ?? '',
                time: time(v.time),
              })),
            }
          : undefined,
      })),
    })),
  };
}

const SCOPE = { run: Scope.RUN, stage: Scope.STAGE, job: Scope.JOB } as const;

/** An event's approval state (times in ms), as the run's own Approval message. */
function toApproval({ approvers, neededApprovers, votes }: ApprovalState): MessageInitShape<typeof ApprovalSchema> {
  return {
    approvers,
    neededApprovers,
    votes: votes.map((v) => ({
      user: v.user,
      approve: v.approve,
      comment: v.comment ?? '',
      time: timestampFromMs(v.time),
    })),
  };
}

function toWatchResponse(item: RunWatchItem): MessageInitShape<typeof WatchRunResponseSchema> {
  if (item.type === 'log') return { event: { case: 'logLine', value: { job: item.job, text: item.text } } };
  const e = item.event;
  return {
    event: {
      case: 'statusChange',
      value: {
        scope: SCOPE[e.kind],
        stage: e.stage ?? '',
        job: e.job ?? '',
        jobType: e.jobType ?? '',
        status: e.status,
        time: timestampFromMs(e.time),
        retryNum: e.retryNum,
        error: e.error ?? '',
        outputs: e.outputs ?? {},
        approval: e.approval && toApproval(e.approval),
      },
    },
  };
}

/** The request's run, checked as REST checks its path. */
function runKey(req: { project: string; workflow: string; runNumber: number }) {
  checkRequest(key('project', req.project), key('workflow', req.workflow), positive('run_number', req.runNumber));
  return { project: req.project, name: req.workflow, number: req.runNumber };
}

/**
 * RunService: the REST run routes' operations (routes/runs.routes.ts, packages/runs) over gRPC,
 * and WatchRun, the run's events and log lines as one stream. `closing` ends open watches when
 * the server shuts down (UNAVAILABLE: watch again elsewhere).
 */
export function runService(deps: GatewayDeps, closing: AbortSignal): ServiceImpl<typeof RunService> {
  const runs = runServiceDeps(deps);
  return {
    async startRun(req, ctx) {
      checkRequest(key('project', req.project), key('workflow', req.workflow), atMost('remark', req.remark, 2000));
      const started = await startRun(runs, {
        project: req.project,
        workflow: req.workflow,
        creator: callerOf(ctx).principal.username,
        params: req.params,
        remark: req.remark || undefined,
        skip_jobs: req.skipJobs.length > 0 ? req.skipJobs : undefined,
        run_jobs: req.runJobs.length > 0 ? req.runJobs : undefined,
      });
      return { runNumber: started.runNumber, runId: started.runId };
    },

    async getRun(req) {
      const row = await existingRun(deps.db, runKey(req));
      return { run: toRun(runDetail(row, await listJobRuns(deps.db, row.id))) };
    },

    async listRuns(req) {
      const pageSize = req.pageSize || DEFAULT_PAGE_SIZE;
      // The token is the offset of the page: runs are numbered, so it stays meaningful between calls.
      const offset = /^\d*$/.test(req.pageToken) ? Number(req.pageToken || '0') : NaN;
      checkRequest(
        key('project', req.project),
        key('workflow', req.workflow),
        pageSize < 1 || pageSize > MAX_PAGE_SIZE
          ? { path: 'page_size', message: `must be between 1 and ${MAX_PAGE_SIZE}` }
          : undefined,
        offset <= MAX_OFFSET ? undefined : { path: 'page_token', message: 'not a token from next_page_token' },
      );
      const page = await listWorkflowRuns(deps.db, {
        project: req.project,
        workflow: req.workflow,
        status: req.statuses.length > 0 ? runStatuses(req.statuses, 'statuses') : undefined,
        creator: req.creator || undefined,
        limit: pageSize,
        offset,
      });
      const next = offset + page.runs.length;
      return {
        runs: page.runs.map(toRunSummary),
        nextPageToken: page.runs.length > 0 && next < page.total ? String(next) : '',
        totalSize: page.total,
      };
    },

    async cancelRun(req) {
      const run = runKey(req);
      await existingRun(deps.db, run);
      await cancelRun(runs, runWorkflowId(run.project, run.name, run.number));
      return {};
    },

    async retryRun(req) {
      const run = runKey(req);
      await existingRun(deps.db, run);
      const { retryNum } = await retryRun(runs, runWorkflowId(run.project, run.name, run.number));
      return { retryNum };
    },

    async approve(req, ctx) {
      const run = runKey(req);
      checkRequest(required('job', req.job), atMost('comment', req.comment, 2000));
      ensureRunHasJob(await existingRun(deps.db, run), req.job);
      await approveJob(runs, runWorkflowId(run.project, run.name, run.number), {
        job: req.job,
        approve: req.approve,
        comment: req.comment || undefined,
        user: callerOf(ctx).principal.username,
      });
      return {};
    },

    async *watchRun(req, ctx) {
      const row = await existingRun(deps.db, runKey(req));
      const signal = AbortSignal.any([ctx.signal, closing]);
      const items = watchRun(
        deps.js,
        { project: row.project, workflow: row.workflow, runNumber: row.runNumber },
        {
          names: deps.names,
          signal,
          minRetry: await currentAttempt(runs, row),
          jobs: row.stages.flatMap((stage) => stage.jobs.map((job) => job.name)),
        },
      );
      for await (const item of items) yield toWatchResponse(item);
      if (closing.aborted && !ctx.signal.aborted) {
        throw new ConnectError('the gateway is shutting down; watch the run again', Code.Unavailable);
      }
    },
  };
}
