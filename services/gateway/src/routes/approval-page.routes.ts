import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import {
  findApprovalLink,
  getRun,
  listJobRuns,
  releaseApprovalLink,
  useApprovalLink,
  type ApprovalLinkRow,
  type JobRunRow,
  type RunRow,
} from '@stagecoach/db';
import { runStateQuery, type ApprovalState, type JobResult, type RunResult } from '@stagecoach/contracts';
import { AppError } from '@stagecoach/platform';
import { approveJob, type RunServiceDeps } from '@stagecoach/runs';
import { isTerminal } from '@stagecoach/spec';
import { QueryRejectCondition, WorkflowClient } from '@temporalio/client';
import type { GatewayDeps } from '../deps.js';
import { approvalPage, messagePage } from '../approval-page.js';

const QUERY_DEADLINE_MS = 2000;
// The router refuses a path part over 100 characters (httpServerOptions) before this schema is read.
const TokenParams = Type.Object({ token: Type.String({ minLength: 1 }) });
const Decision = Type.Object(
  {
    decision: Type.Enum(['approve', 'reject']),
    comment: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  // A misspelt field ("coment") would drop what the approver wrote without a word.
  { additionalProperties: false },
);

type Checked =
  | { ok: true; link: ApprovalLinkRow; run: RunRow; jobs: JobRunRow[]; approval: ApprovalState | undefined }
  | { ok: false; status: 403 | 409 | 410; title: string; message: string };

/**
 * The approval page behind each approver's personal link (`/approvals/:token`). The token is the
 * credential: unknown → 403, used → 409, the approval no longer waiting (decided, timed out, run
 * ended or retried) → 410. GET only shows the page — chat apps preview links — and POST decides.
 */
export const approvalPageRoutes: FastifyPluginAsyncTypebox<{ deps: GatewayDeps }> = async (app, { deps }) => {
  const runs: RunServiceDeps = { db: deps.db, temporal: deps.temporal, box: deps.box, taskQueue: deps.taskQueue };
  // Asks only running executions: a closed run's last state may still show the job waiting.
  // The gateway client's own options (converter, interceptors) carry over, so payloads decode alike.
  const { connection, namespace, dataConverter, interceptors, identity } = deps.temporal.workflow.options;
  const openRuns = new WorkflowClient({
    connection,
    namespace,
    dataConverter,
    interceptors,
    identity,
    queryRejectCondition: QueryRejectCondition.NOT_OPEN,
  });

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) =>
    done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );

  async function check(token: string): Promise<Checked> {
    const link = await findApprovalLink(deps.db, token);
    if (!link) return { ok: false, status: 403, title: 'Invalid link', message: 'This approval link is not valid.' };
    if (link.usedAt)
      return {
        ok: false,
        status: 409,
        title: 'Link already used',
        message: 'This approval link has already been used.',
      };
    const [run, jobs] = await Promise.all([getRun(deps.db, link.runId), listJobRuns(deps.db, link.runId)]);
    const job = jobs.find((j) => j.job === link.job);
    if (run && run.retryNum === link.retryNum && job?.status === 'wait_for_approval') {
      return { ok: true, link, run, jobs, approval: job.approval ?? undefined };
    }
    // The notifier makes the links from its own read of the run's events, and the projection may not
    // have caught up with them yet: the run itself says whether the job still waits. Not asked when
    // the projection already shows the link's execution ended or a later retry.
    const mayStillWait =
      run && (run.retryNum < link.retryNum || (run.retryNum === link.retryNum && !isTerminal(run.status)));
    const waiting = mayStillWait ? await waitingApproval(link) : undefined;
    if (run && waiting) return { ok: true, link, run, jobs, approval: waiting.approval };
    return { ok: false, status: 410, title: 'Approval closed', message: 'This approval is no longer waiting.' };
  }

  /** The link's job as its run's workflow has it, if it waits for approval in the link's execution. */
  async function waitingApproval(link: ApprovalLinkRow): Promise<JobResult | undefined> {
    let state: RunResult;
    try {
      // A page load must not hang on a run no worker answers for.
      state = await openRuns.connection.withDeadline(Date.now() + QUERY_DEADLINE_MS, () =>
        openRuns.getHandle(link.runId).query(runStateQuery),
      );
    } catch {
      // No such execution, closed, or no worker to answer in time: the projection's answer stands.
      return undefined;
    }
    if (state.retryNum !== link.retryNum) return undefined;
    const job = state.stages.flatMap((stage) => stage.jobs).find((j) => j.name === link.job);
    return job?.status === 'wait_for_approval' ? job : undefined;
  }

  const html = (reply: FastifyReply, status: number, body: string) =>
    reply
      .status(status)
      .header('content-type', 'text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('referrer-policy', 'no-referrer')
      .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
      .send(body);

  app.get('/approvals/:token', { schema: { hide: true, params: TokenParams } }, async (request, reply) => {
    const checked = await check(request.params.token);
    if (!checked.ok) return html(reply, checked.status, messagePage(checked.title, checked.message));
    return html(reply, 200, approvalPage(checked.link, checked.run, checked.jobs, checked.approval, request.url));
  });

  app.post(
    '/approvals/:token',
    {
      schema: { hide: true, params: TokenParams, body: Decision },
      // The app reads YAML and plain text as text for definitions; a decision is a form or JSON.
      preValidation: async (request) => {
        if (typeof request.body === 'string') {
          throw new AppError(
            'send the decision as a form (application/x-www-form-urlencoded) or as JSON (application/json)',
            'unsupported_media_type',
            415,
          );
        }
      },
    },
    async (request, reply) => {
      const checked = await check(request.params.token);
      if (!checked.ok) return html(reply, checked.status, messagePage(checked.title, checked.message));
      // Claim first: of two concurrent clicks only one gets to vote.
      if (!(await useApprovalLink(deps.db, request.params.token))) {
        return html(reply, 409, messagePage('Link already used', 'This approval link has already been used.'));
      }
      // The audit log names who decided through the link.
      request.caller = `${checked.link.approver} (approval link)`;
      const approve = request.body.decision === 'approve';
      try {
        await approveJob(runs, checked.link.runId, {
          job: checked.link.job,
          user: checked.link.approver,
          approve,
          ...(request.body.comment ? { comment: request.body.comment } : {}),
        });
      } catch (err) {
        // No vote was recorded: the link is the approver's to use again, for as long as the approval waits.
        await releaseApprovalLink(deps.db, request.params.token);
        if (err instanceof AppError && err.httpStatus < 500) {
          const now = await check(request.params.token);
          if (!now.ok) return html(reply, now.status, messagePage(now.title, now.message));
          return html(reply, 409, messagePage('Not recorded', err.message));
        }
        throw err;
      }
      const verdict = approve ? 'approved' : 'rejected';
      return html(reply, 200, messagePage('Thank you', `Recorded: ${checked.link.approver} ${verdict}.`));
    },
  );
};
