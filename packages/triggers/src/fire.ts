import { isGrpcServiceError } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { runWorkflowId, type RunInput } from '@stagecoach/contracts';
import {
  claimDelivery,
  deleteRun,
  listStartingDeliveries,
  recordDeliveryOutcome,
  unfinishedRunOfTrigger,
  withTransaction,
  type TriggerDeliveryRow,
  type TriggerRow,
} from '@stagecoach/db';
import { AppError, ValidationError } from '@stagecoach/platform';
import { launchRun, prepareRun, type RunServiceDeps } from '@stagecoach/runs';

/** The creator a run gets from each trigger source (Zadig's names). */
export const CREATOR_OF_SOURCE: Record<string, string> = {
  github: 'webhook',
  gitlab: 'webhook',
  gitee: 'webhook',
  timer: 'timer',
  jira: 'jira_hook',
  meego: 'meego_hook',
  general: 'general_hook',
};

export interface FireRequest {
  source: string;
  deliveryKey: string;
  trigger: TriggerRow;
  event: string;
  /** a reason to record instead of starting a run (the trigger did not match) */
  ignore?: string;
  params?: Record<string, string>;
  variables?: Record<string, string>;
  remark?: string;
  /** kept with the delivery: what auto-cancel and comment-back need later */
  context?: Record<string, string>;
  /** timers: skip this firing while a run this trigger started is unfinished (overlap policy skip) */
  skipWhileRunning?: boolean;
  /**
   * Params whose values the delivery's body gave (general hooks). When the workflow refuses one of
   * them the sender has a mistake to correct: the ValidationError is thrown (a 400) and nothing is
   * recorded, so the corrected delivery, even under the same Idempotency-Key, is a new one.
   */
  deliveryParams?: readonly string[];
}

export interface FireResult {
  decision: 'started' | 'ignored';
  runNumber?: number;
  reason?: string;
  /** true when an earlier delivery of the same key had already decided */
  duplicate: boolean;
}

/**
 * Decides one delivery for one trigger exactly once. The delivery row is claimed under a row lock;
 * a new one is either recorded as ignored (with the reason) or gets its run prepared in the same
 * transaction (`starting`, run input kept), so a duplicate arriving concurrently waits on the lock
 * and then sees that decision. The Temporal start comes after the commit and is idempotent (the
 * workflow id is the run id), so whoever finds `starting` — this call, a redelivery, a concurrent
 * duplicate, the start-up sweep — may finish it. Returns only once the run is durably started.
 */
export async function fire(deps: RunServiceDeps, req: FireRequest): Promise<FireResult> {
  const { row, fresh } = await withTransaction(deps.db, async (tx) => {
    const claimed = await claimDelivery(tx, {
      source: req.source,
      deliveryKey: req.deliveryKey,
      triggerId: req.trigger.id,
      project: req.trigger.project,
      workflow: req.trigger.workflow,
      event: req.event,
      context: req.context,
    });
    if (claimed.decision !== 'pending') return { row: claimed, fresh: false };
    const ignore = async (reason: string) => {
      await recordDeliveryOutcome(tx, claimed.id, { decision: 'ignored', reason });
      return { row: { ...claimed, decision: 'ignored' as const, reason }, fresh: true };
    };
    if (req.ignore) return ignore(req.ignore);
    if (!req.trigger.enabled) return ignore('the trigger is disabled');
    if (req.skipWhileRunning) {
      const running = await unfinishedRunOfTrigger(tx, req.trigger.id);
      if (running !== undefined)
        return ignore(`run ${running} of this trigger is still running (overlap policy: skip)`);
    }
    try {
      // A savepoint: a refused run (disabled workflow, params no longer valid) rolls back alone and
      // is recorded as the reason, while the claim stays.
      const prepared = await tx.transaction((sp) =>
        prepareRun(deps, sp, {
          project: req.trigger.project,
          workflow: req.trigger.workflow,
          creator: CREATOR_OF_SOURCE[req.source] ?? req.source,
          params: req.params,
          variables: req.variables,
          remark: req.remark,
        }),
      );
      await recordDeliveryOutcome(tx, claimed.id, {
        decision: 'starting',
        runNumber: prepared.runNumber,
        pendingStart: prepared.input,
      });
      return {
        row: { ...claimed, decision: 'starting' as const, runNumber: prepared.runNumber, pendingStart: prepared.input },
        fresh: true,
      };
    } catch (err) {
      if (err instanceof ValidationError && refusesDeliveryParams(err, req.deliveryParams)) throw err;
      if (err instanceof AppError) return ignore(`the run was refused: ${err.message}${issuePaths(err)}`);
      throw err;
    }
  });
  const decided = row.decision === 'starting' ? await finishStart(deps, row) : row;
  if (decided.decision === 'ignored') {
    return { decision: 'ignored', reason: decided.reason ?? undefined, duplicate: !fresh };
  }
  return { decision: 'started', runNumber: row.runNumber ?? undefined, duplicate: !fresh };
}

/**
 * Which fields a refusal is about, for the stored reason: paths only, since an issue's message may
 * quote a value the trigger holds as a secret.
 */
function issuePaths(err: AppError): string {
  return err instanceof ValidationError && err.issues.length > 0
    ? ` (${err.issues.map((issue) => issue.path).join(', ')})`
    : '';
}

/** Whether the run's params check refused a value the delivery gave (issues name `params.<name>`). */
function refusesDeliveryParams(err: ValidationError, names: readonly string[] | undefined): boolean {
  return names !== undefined && err.issues.some((issue) => names.some((name) => issue.path === `params.${name}`));
}

type StartOutcome = { decision: 'started' } | { decision: 'ignored'; reason: string };

/**
 * Starts the prepared run of a `starting` delivery (again, harmlessly, if it already started). A
 * start Temporal refuses for good (the run input over its payload size limit, say) would fail the
 * same way at every redelivery and sweep: the allocated run is removed and the delivery recorded
 * as ignored with Temporal's reason. Other failures are thrown and leave it `starting`.
 */
export async function finishStart(deps: RunServiceDeps, row: TriggerDeliveryRow): Promise<StartOutcome> {
  const input = row.pendingStart as RunInput;
  try {
    await launchRun(deps, input);
  } catch (err) {
    if (isRefusedForGood(err)) {
      const reason = `Temporal refused the run: ${grpcDetails(err)}`;
      await withTransaction(deps.db, async (tx) => {
        await deleteRun(tx, runWorkflowId(input.project, input.workflow, input.runNumber));
        await recordDeliveryOutcome(tx, row.id, { decision: 'ignored', reason, runNumber: null });
      });
      return { decision: 'ignored', reason };
    }
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  await recordDeliveryOutcome(deps.db, row.id, { decision: 'started', runNumber: row.runNumber });
  return { decision: 'started' };
}

/** The gRPC error under the client's wrapping, if any. */
function grpcCause(err: unknown): { code: number; details: string } | undefined {
  for (let e = err; e; e = (e as { cause?: unknown }).cause) if (isGrpcServiceError(e)) return e;
  return undefined;
}

/** gRPC's INVALID_ARGUMENT: the request itself is refused, and sending it again changes nothing. */
const GRPC_INVALID_ARGUMENT = 3;
const isRefusedForGood = (err: unknown) => grpcCause(err)?.code === GRPC_INVALID_ARGUMENT;
const grpcDetails = (err: unknown) => grpcCause(err)?.details ?? (err as Error).message;

/**
 * Finishes deliveries a crashed trigger service left `starting` (run allocated, Temporal start not
 * confirmed). Run at start-up; a provider's redelivery would finish them too, but not every
 * provider redelivers.
 */
export async function finishInterruptedStarts(deps: RunServiceDeps, olderThanMs = 0): Promise<InterruptedStarts> {
  const rows = await listStartingDeliveries(deps.db, new Date(Date.now() - olderThanMs));
  const result: InterruptedStarts = { finished: 0, refused: [], failed: [] };
  for (const row of rows) {
    try {
      const outcome = await finishStart(deps, row);
      if (outcome.decision === 'started') result.finished++;
      else result.refused.push({ deliveryId: row.id, reason: outcome.reason });
    } catch (err) {
      // One start Temporal refuses must not keep the others, or the service, from starting: it stays
      // `starting` for the next sweep or the provider's redelivery.
      result.failed.push({ deliveryId: row.id, runNumber: row.runNumber, error: (err as Error).message });
    }
  }
  return result;
}

export interface InterruptedStarts {
  finished: number;
  /** recorded as ignored: Temporal refuses these runs for good */
  refused: { deliveryId: string; reason: string }[];
  /** still `starting`: the start failed in a way that may pass */
  failed: { deliveryId: string; runNumber: number | null; error: string }[];
}
