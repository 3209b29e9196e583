import { ApplicationFailure, defaultPayloadConverter, WorkflowNotFoundError } from '@temporalio/common';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import {
  approveUpdate,
  decideUpdate,
  GateRejection,
  PIPELINE_RUN_WORKFLOW,
  resumeUpdate,
  TASK_QUEUE,
  type ApproveRequest,
  type DecisionRequest,
  type ResumeRequest,
  type RunInput,
  type RunResult,
} from '@stagecoach/contracts';
import type { RunRow } from '@stagecoach/db';
import { AppError, ConflictError, ForbiddenError, NotFoundError, ValidationError } from '@stagecoach/platform';
import { isTerminal, type Status } from '@stagecoach/spec';
import { editedInputIssues } from './edited-inputs.js';
import type { RunServiceDeps } from './start-run.js';

/** Zadig allows a retry only from these final statuses. */
const RETRYABLE = new Set(['failed', 'timeout', 'cancelled', 'reject']);

function handleOf(deps: RunServiceDeps, runId: string): WorkflowHandle {
  return deps.temporal.workflow.getHandle(runId);
}

async function describeOrNotFound(handle: WorkflowHandle) {
  try {
    return await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new NotFoundError(`run "${handle.workflowId}" not found`);
    throw err;
  }
}

/**
 * The attempt of a run that is current: the one a watch or a log follower must see to the end. The
 * projection can lag behind a retry that was just started (the row still shows the previous attempt's
 * final status): then Temporal already runs the next attempt.
 */
export async function currentAttempt(deps: RunServiceDeps, row: RunRow): Promise<number> {
  if (!isTerminal(row.status as Status)) return row.retryNum;
  try {
    const description = await handleOf(deps, row.id).describe();
    return description.status.name === 'RUNNING' ? row.retryNum + 1 : row.retryNum;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return row.retryNum;
    throw err;
  }
}

/** Cancel is a Temporal cancellation: waits stop, process groups die, cleanup still runs, status sticks. */
export async function cancelRun(deps: RunServiceDeps, runId: string): Promise<void> {
  const handle = handleOf(deps, runId);
  const description = await describeOrNotFound(handle);
  if (description.status.name !== 'RUNNING') throw new ConflictError(`run "${runId}" has already finished`);
  await handle.cancel();
}

/**
 * Resumes a failed, timed-out, cancelled or rejected run under the same run number: a new execution
 * of the same workflow id gets the previous stages and variable context, keeps what passed and
 * reruns the rest.
 */
export async function retryRun(deps: RunServiceDeps, runId: string): Promise<{ retryNum: number }> {
  const handle = handleOf(deps, runId);
  const description = await describeOrNotFound(handle);
  if (description.status.name === 'RUNNING') throw new ConflictError(`run "${runId}" is still running`);
  const previous = (await handle.result()) as RunResult;
  if (!RETRYABLE.has(previous.status)) {
    throw new ConflictError(
      `run "${runId}" is ${previous.status}; only failed, timeout, cancelled or reject runs can be retried`,
    );
  }
  const input = await startInput(handle);
  const next: RunInput = {
    ...input,
    resume: { stages: previous.stages, context: previous.context, retryNum: previous.retryNum },
  };
  await deps.temporal.workflow.start(PIPELINE_RUN_WORKFLOW, {
    workflowId: runId,
    taskQueue: deps.taskQueue ?? TASK_QUEUE,
    args: [next],
    typedSearchAttributes: description.typedSearchAttributes,
  });
  return { retryNum: previous.retryNum + 1 };
}

/** The definition a run was frozen with (first render pass), as its newest execution started; 404 for no run. */
export async function runDefinition(deps: RunServiceDeps, runId: string): Promise<RunInput['definition']> {
  const handle = handleOf(deps, runId);
  await describeOrNotFound(handle);
  return (await startInput(handle)).definition;
}

/** The frozen input of the newest execution, read back from its history. */
async function startInput(handle: WorkflowHandle): Promise<RunInput> {
  const history = await handle.fetchHistory();
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  const payload = started?.input?.payloads?.[0];
  if (!payload) throw new AppError(`run "${handle.workflowId}" has no recorded input`, 'internal', 500);
  return defaultPayloadConverter.fromPayload<RunInput>(payload);
}

export function approveJob(deps: RunServiceDeps, runId: string, request: ApproveRequest): Promise<void> {
  return sendUpdate(handleOf(deps, runId), (h) => h.executeUpdate(approveUpdate, { args: [request] }));
}

export function decideJob(deps: RunServiceDeps, runId: string, request: DecisionRequest): Promise<void> {
  return sendUpdate(handleOf(deps, runId), (h) => h.executeUpdate(decideUpdate, { args: [request] }));
}

/** Edited job inputs are checked against the run's definition first: the run would take any object. */
export async function resumeStage(deps: RunServiceDeps, runId: string, request: ResumeRequest): Promise<void> {
  if (request.inputs && Object.keys(request.inputs).length > 0) {
    const issues = editedInputIssues(await runDefinition(deps, runId), request.stage, request.inputs);
    if (issues.length > 0) throw new ValidationError('invalid job inputs', issues);
  }
  return sendUpdate(handleOf(deps, runId), (h) => h.executeUpdate(resumeUpdate, { args: [request] }));
}

/** Maps the run's own refusal (validator) to HTTP-meaningful errors. */
async function sendUpdate(handle: WorkflowHandle, send: (h: WorkflowHandle) => Promise<void>): Promise<void> {
  try {
    await send(handle);
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
      const message = err.cause.message;
      switch (err.cause.type) {
        case GateRejection.NotAllowed:
          throw new ForbiddenError(message);
        // Only a resume's edited inputs are refused so (the run's own check, after the gateway's).
        case GateRejection.InvalidInput:
          throw new ValidationError(message, [{ path: 'inputs', message }]);
        case GateRejection.NotWaiting:
        case GateRejection.AlreadyVoted:
          throw new ConflictError(message);
      }
    }
    if (err instanceof WorkflowNotFoundError) {
      // A finished run has no live execution to take the update.
      await describeOrNotFound(handle);
      throw new ConflictError(`run "${handle.workflowId}" is not running`);
    }
    throw err;
  }
}
