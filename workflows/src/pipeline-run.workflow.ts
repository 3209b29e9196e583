import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  proxySinks,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import {
  approveUpdate,
  concurrencyGateWorkflowId,
  credentialKey,
  decideUpdate,
  ErrorType,
  GateRejection,
  gateGrantedSignal,
  gateReleaseSignal,
  resumeUpdate,
  runStateQuery,
  SA_STATUS,
  type ApprovalState,
  type JobActivityInput,
  type JobActivityResult,
  type JobResult,
  type RunActivities,
  type RunEvent,
  type RunInput,
  type RunResult,
  type RunSinks,
  type StageResult,
} from '@stagecoach/contracts';
import {
  builtinValues,
  COMPENSATING_JOB_TYPES,
  isDone,
  isFailedish,
  isListedUser,
  jobOutputKey,
  jobStartTimeKey,
  jobStatusKey,
  listedUserNames,
  renderJob,
  runStatusFromStages,
  shouldExecute,
  stageStatusFromJobs,
  type ApprovalSpec,
  type FreestyleSpec,
  withDynamicRecipients,
  type Job,
  type NotifyCtl,
  type Stage,
  type Status,
  type WorkflowDefinition,
} from '@stagecoach/spec/sandbox';
import { cleanupOrder, initialStages, jobEnvironment } from './run-state.js';

/** Zadig waits a fixed 10 s between attempts of a job whose error policy is `retry`. */
const JOB_RETRY_DELAY = '10 seconds';
const DEFAULT_JOB_TIMEOUT_MINUTES = 60;
const DEFAULT_APPROVAL_TIMEOUT_MINUTES = 60;

const { acquireConcurrencySlot } = proxyActivities<RunActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1 second', maximumAttempts: 20 },
});

// The cleanup of freestyle workspaces is short: a local activity spares it a server round trip; cleanups
// are idempotent. Events went the same way before patch `events-by-sink`.
const { emitEvents, cleanupJobs } = proxyLocalActivities<RunActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '200 milliseconds', maximumInterval: '10 seconds' },
});

// Events leave through the worker's sink, stored in JetStream before the workflow task is reported
// (see RunSinks); JetStream drops repeats by Nats-Msg-Id.
const { runEvents } = proxySinks<RunSinks>();

// Compensation talks to clusters and waits for objects to go: a regular activity that heartbeats.
const { compensateJobs } = proxyActivities<RunActivities>({
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 5 },
});

function jobActivities(timeoutMinutes: number) {
  return proxyActivities<RunActivities>({
    // The job's own timeout is enforced by the activity (status `timeout`); this bound only catches a lost worker.
    startToCloseTimeout: `${timeoutMinutes + 5} minutes`,
    heartbeatTimeout: '10 seconds',
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: {
      initialInterval: '1 second',
      maximumAttempts: 10,
      nonRetryableErrorTypes: [
        ErrorType.JobFailed,
        ErrorType.JobTimeout,
        ErrorType.SpecInvalid,
        ErrorType.GitCheckoutFailed,
      ],
    },
  });
}

/** What workflow code says about a transition; the emitter adds identity, sequence and time. */
type EventDraft = Omit<RunEvent, 'runId' | 'seq' | 'retryNum' | 'project' | 'workflow' | 'runNumber' | 'time'>;

export async function pipelineRunWorkflow(input: RunInput): Promise<RunResult> {
  const runId = workflowInfo().workflowId;
  const retryNum = input.resume ? input.resume.retryNum + 1 : 0;
  const definition: WorkflowDefinition = JSON.parse(JSON.stringify(input.definition));
  const stages: StageResult[] = initialStages(input);
  const secretKeys = new Set(input.secretParams.map((name) => credentialKey(name, input.secretMarker)));
  const context: Record<string, string> = {
    ...builtinValues({
      project: input.project,
      projectDisplayName: input.projectDisplayName,
      workflow: input.workflow,
      workflowDisplayName: definition.display_name ?? input.workflow,
      runNumber: input.runNumber,
      creator: input.creator,
      timestampMs: input.createdAt,
      url: input.url,
      params: input.params,
    }),
    ...input.variables,
    ...(input.resume?.context ?? {}),
  };

  /**
   * Whether this run takes a change released behind patched() before run input version 2. A version-2
   * run began with all of them in place, so it takes them without asking, and without the marker and
   * TemporalChangeVersion upsert each check writes into its workflow task. Only a replay asks, to match
   * the markers a worker from before version 2 wrote had it run this run's tasks. Runs of version 1 ask
   * as they always did. A change released later needs patched() itself: version-2 runs may be in flight.
   */
  const patchedBeforeV2 = (patchId: string): boolean => {
    if (input.version < 2) return patched(patchId);
    if (workflowInfo().unsafe.isReplaying) patched(patchId);
    return true;
  };

  let runStatus: Status = 'created';
  let runError: string | undefined;
  let seq = 0;
  const pending: RunEvent[] = [];
  const draft = (event: EventDraft): RunEvent => ({
    runId,
    seq: ++seq,
    retryNum,
    project: input.project,
    workflow: input.workflow,
    runNumber: input.runNumber,
    time: Date.now(),
    ...event,
  });
  const emit = (event: EventDraft) => {
    pending.push(draft(event));
  };
  /** Jobs whose `passed` event the job activity published itself. */
  const publishedPassed = new Set<string>();
  /**
   * Jobs whose activity may have left something behind: started, and not ended by its own code
   * (which cleans up in a `finally`), so timed out, cancelled or lost with a worker.
   */
  const mayHaveLeftovers = new Set<string>();
  // Always delivered, also while the run is being cancelled.
  const flush = (): Promise<void> | undefined => {
    if (pending.length === 0) return;
    const batch = pending.splice(0, pending.length);
    // The sink saves the run's last workflow task a second activation and the local activity's dispatch.
    if (patchedBeforeV2('events-by-sink')) runEvents.publish(batch);
    // As deep as when flush was an async function awaiting it: histories from then hold what followed.
    else
      return (async () => {
        await CancellationScope.nonCancellable(() => emitEvents(batch));
      })();
  };
  const setRunStatus = (status: Status) => {
    if (runStatus === status) return;
    runStatus = status;
    emit({ kind: 'run', status, creator: input.creator, error: runError });
    // The gateway starts an ungated run as `running` already. Histories from before that started as
    // `created`, so they upsert here exactly as they did: replay stays deterministic without a patch.
    if (workflowInfo().typedSearchAttributes.get(SA_STATUS) !== status) {
      upsertSearchAttributes([{ key: SA_STATUS, value: status }]);
    }
  };

  const jobIndex = new Map<string, { def: Job; result: JobResult; stage: string }>();
  definition.stages.forEach((stage, si) =>
    stage.jobs.forEach((def, ji) => jobIndex.set(def.name, { def, result: stages[si]!.jobs[ji]!, stage: stage.name })),
  );
  const decisions = new Map<string, 'ignore' | 'reject'>();
  const resumedStages = new Set<string>();
  let pausedStage: string | undefined;

  const reject = (type: string, message: string): never => {
    throw ApplicationFailure.create({ type, message, nonRetryable: true });
  };
  const waitingJob = (name: string, status: Status) => {
    const entry = jobIndex.get(name);
    if (!entry || entry.result.status !== status) reject(GateRejection.NotWaiting, `job "${name}" is not ${status}`);
    return entry!;
  };

  setHandler(
    approveUpdate,
    ({ job, user, approve, comment }) => {
      const { result, stage } = jobIndex.get(job)!;
      result.approval!.votes.push({ user, approve, comment, time: Date.now() });
      // So the votes so far show while the approval waits for more: on the run's page, the approval page.
      // A deciding vote shows with the job's end.
      if (!isDecided(result.approval!) && patched('approval-vote-events')) {
        emit({ kind: 'job', stage, job, jobType: result.type, status: result.status, approval: result.approval });
        // A sink call, or for runs that still store events by local activity, one that runs unawaited.
        void flush();
      }
    },
    {
      // Validators also see what updates accepted earlier in the same workflow task did, before the run
      // acts on it: a vote after the deciding one, a second decision or resume, are refused here.
      validator: ({ job, user }) => {
        const { def, result } = waitingJob(job, 'wait_for_approval');
        const approvers = (def.spec as ApprovalSpec).native_approval.approve_users;
        if (!isListedUser(approvers, user, input.creator))
          reject(GateRejection.NotAllowed, `${user} is not an approver of "${job}"`);
        if (result.approval?.votes.some((v) => v.user === user))
          reject(GateRejection.AlreadyVoted, `${user} has already voted on "${job}"`);
        if (result.approval && isDecided(result.approval))
          reject(GateRejection.NotWaiting, `the approval of "${job}" is already decided`);
      },
    },
  );
  setHandler(
    decideUpdate,
    ({ job, decision }) => {
      decisions.set(job, decision);
    },
    {
      validator: ({ job, user }) => {
        const { def } = waitingJob(job, 'wait_for_manual_error_handling');
        if (!isListedUser(def.error_policy?.approval_users ?? [], user, input.creator)) {
          reject(GateRejection.NotAllowed, `${user} may not decide on the failure of "${job}"`);
        }
        if (decisions.has(job)) reject(GateRejection.NotWaiting, `the failure of "${job}" is already decided on`);
      },
    },
  );
  setHandler(
    resumeUpdate,
    ({ stage, inputs }) => {
      const stageDef = definition.stages.find((s) => s.name === stage)!;
      for (const [jobName, fields] of Object.entries(inputs ?? {})) {
        const job = stageDef.jobs.find((j) => j.name === jobName)!;
        job.spec = { ...(job.spec as object), ...fields };
      }
      resumedStages.add(stage);
    },
    {
      validator: ({ stage, user, inputs }) => {
        if (pausedStage !== stage || resumedStages.has(stage))
          reject(GateRejection.NotWaiting, `stage "${stage}" is not waiting to be executed`);
        const stageDef = definition.stages.find((s) => s.name === stage)!;
        if (!isListedUser(stageDef.manual_exec?.manual_exec_users ?? [], user, input.creator)) {
          reject(GateRejection.NotAllowed, `${user} may not execute stage "${stage}"`);
        }
        const edited = Object.keys(inputs ?? {});
        if (edited.length > 0 && !stageDef.manual_exec?.modify_params) {
          reject(GateRejection.InvalidInput, `stage "${stage}" does not allow editing job inputs`);
        }
        for (const name of edited) {
          if (!stageDef.jobs.some((j) => j.name === name))
            reject(GateRejection.InvalidInput, `stage "${stage}" has no job "${name}"`);
        }
      },
    },
  );
  const snapshot = (): RunResult => ({ status: runStatus, stages, context, retryNum, error: runError });
  setHandler(runStateQuery, snapshot);

  const finishJob = (stage: Stage, result: JobResult, status: Status) => {
    result.status = status;
    result.endTime = Date.now();
    context[jobStatusKey(result.name)] = status;
    for (const [name, value] of Object.entries(result.outputs ?? {})) context[jobOutputKey(result.name, name)] = value;
    if (status === 'passed' && publishedPassed.has(result.name)) return;
    emit({
      kind: 'job',
      stage: stage.name,
      job: result.name,
      jobType: result.type,
      status,
      error: result.error,
      outputs: result.outputs,
      approval: result.approval,
      retryCount: result.retryCount,
    });
  };

  const runApproval = async (stage: Stage, result: JobResult, spec: ApprovalSpec): Promise<Status> => {
    const native = spec.native_approval;
    const needed = native.needed_approvers ?? 1;
    result.approval = {
      approvers: listedUserNames(native.approve_users, input.creator),
      neededApprovers: needed,
      votes: [],
    };
    result.status = 'wait_for_approval';
    emit({
      kind: 'job',
      stage: stage.name,
      job: result.name,
      jobType: result.type,
      status: result.status,
      approval: result.approval,
    });
    await flush();
    const approval = result.approval;
    const minutes = spec.timeout ?? native.timeout ?? DEFAULT_APPROVAL_TIMEOUT_MINUTES;
    const decided = await condition(() => isDecided(approval), `${minutes} minutes`);
    if (!decided) return 'timeout';
    return approval.votes.some((v) => !v.approve) ? 'reject' : 'passed';
  };

  const renderOptions = { blankUnresolved: true, preserve: (key: string) => secretKeys.has(key) };
  /** The rendered spec of the job a release job's `from_job` names, with the run's values as they are now. */
  const fromSpecOf = (job: Job): unknown => {
    const from = (job.spec as { from_job?: unknown } | undefined)?.from_job;
    const entry = typeof from === 'string' && from !== '' ? jobIndex.get(from) : undefined;
    return entry ? renderJob(entry.def, context, renderOptions).spec : undefined;
  };

  /**
   * A `notification` job's `dynamic_recipients` resolved against the run's values as they are now
   * (params, trigger payload, earlier jobs' outputs), before rendering turns templated keys into values.
   */
  const withRecipients = (job: Job): Job =>
    job.type === 'notification' && patchedBeforeV2('notification-dynamic-recipients')
      ? { ...job, spec: withDynamicRecipients(job.spec as NotifyCtl, context) }
      : job;

  // The job path below chains `then`s instead of nesting async functions. The SDK captures and
  // source-maps a stack trace for every promise workflow code creates (temporalio/sdk-typescript#1587),
  // about 0.1 ms each: two nested async functions made four promises a job besides the activity's own,
  // this makes two. They keep the old path's depth: an attempt's outcome is acted on two microtask steps
  // after the activity settles, as it was through two awaits, so the commands of jobs that settle in
  // one workflow task (a retry timer, the next attempt) come out in the order recorded histories hold.

  /** Ends a job whose attempt or wait was cancelled; anything else is not the job's to handle. */
  const cancelledJob = (stage: Stage, result: JobResult) => (err: unknown) => {
    if (!isCancellation(err)) throw err;
    finishJob(stage, result, 'cancelled');
  };

  /** Runs the job's activity once, to `passed`, `failed` or `timeout`; a cancellation rejects. */
  const runActivityJob = (stage: Stage, job: Job, result: JobResult): Promise<Status> => {
    const spec = job.spec as FreestyleSpec;
    const timeout = spec.advanced_setting?.timeout ?? DEFAULT_JOB_TIMEOUT_MINUTES;
    result.status = 'running';
    emit({
      kind: 'job',
      stage: stage.name,
      job: result.name,
      jobType: result.type,
      status: 'running',
      retryCount: result.retryCount,
    });
    const startEvents = pending.splice(0, pending.length);
    const passedEvent = draft({
      kind: 'job',
      stage: stage.name,
      job: result.name,
      jobType: result.type,
      status: 'passed',
      retryCount: result.retryCount,
    });
    mayHaveLeftovers.add(job.name);
    let activity: Promise<JobActivityResult>;
    try {
      activity = jobActivities(timeout).runJob({
        runId,
        project: input.project,
        workflow: input.workflow,
        runNumber: input.runNumber,
        retryNum,
        job: job.name,
        jobType: job.type as JobActivityInput['jobType'],
        spec,
        fromSpec: fromSpecOf(job),
        env: jobEnvironment(input, job.name),
        secretParams: input.secretParams,
        ...(input.secretMarker ? { secretMarker: input.secretMarker } : {}),
        ...(job.type === 'notification' && input.url ? { runUrl: input.url } : {}),
        startEvents,
        passedEvent,
      });
    } catch (err) {
      // Its arguments could not be built: the attempt fails like any other.
      activity = Promise.reject(err);
    }
    return activity.then(
      ({ outputs }): Status => {
        publishedPassed.add(job.name);
        mayHaveLeftovers.delete(job.name);
        result.outputs = outputs;
        result.error = undefined;
        return 'passed';
      },
      (err: unknown): Status => {
        if (isCancellation(err)) throw err;
        const cause = err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause : undefined;
        // The activity's own failure: its code ran to the end, cleanup included.
        if (cause) mayHaveLeftovers.delete(job.name);
        result.error = cause?.message ?? (err as Error).message;
        return cause?.type === ErrorType.JobTimeout ? 'timeout' : 'failed';
      },
    );
  };

  /** A failed job under `manual_check` waits for a listed user: `ignore` makes it unstable, `reject` keeps the failure. */
  const waitForDecision = async (stage: Stage, job: Job, result: JobResult, failure: Status): Promise<Status> => {
    result.status = 'wait_for_manual_error_handling';
    emit({
      kind: 'job',
      stage: stage.name,
      job: job.name,
      jobType: job.type,
      status: result.status,
      error: result.error,
    });
    await flush();
    await condition(() => decisions.has(job.name));
    return decisions.get(job.name) === 'ignore' ? 'unstable' : failure;
  };

  /** Attempt `attempt` of the job, then what its error policy makes of the outcome, to the job's end. */
  const attemptJob = (stage: Stage, job: Job, result: JobResult, attempt: number): Promise<void> => {
    const cancelled = cancelledJob(stage, result);
    const afterAttempt = (status: Status): void | Promise<void> => {
      const policy = job.error_policy;
      if (status !== 'failed' && status !== 'timeout') return finishJob(stage, result, status);
      if (policy?.policy === 'retry' && attempt < (policy.maximum_retry ?? 0)) {
        result.retryCount = attempt + 1;
        return sleep(JOB_RETRY_DELAY).then(() => attemptJob(stage, job, result, attempt + 1), cancelled);
      }
      if (policy?.policy === 'ignore_error') return finishJob(stage, result, 'unstable');
      if (policy?.policy === 'manual_check') {
        return waitForDecision(stage, job, result, status).then(
          (decided) => finishJob(stage, result, decided),
          cancelled,
        );
      }
      return finishJob(stage, result, status);
    };
    const outcome =
      job.type === 'approval'
        ? runApproval(stage, result, job.spec as ApprovalSpec)
        : runActivityJob(stage, job, result);
    return outcome.then(afterAttempt, cancelled);
  };

  /** Starts a job and runs it to its end; nothing to wait for when it ends at once (kept from before, or skipped). */
  const startJob = (stage: Stage, job: Job, result: JobResult): Promise<void> | void => {
    if (isDone(result.status)) {
      // Kept from the previous execution of this run (retry): only its status variable is re-published.
      context[jobStatusKey(result.name)] = result.status;
      return;
    }
    if (job.skipped || job.run_policy === 'skip') return finishJob(stage, result, 'skipped');
    result.startTime = Date.now();
    context[jobStartTimeKey(job.name)] = String(Math.floor(result.startTime / 1000));
    const rendered = renderJob(withRecipients(job), context, renderOptions);
    if (!shouldExecute(rendered.execute_policy, (field) => field)) return finishJob(stage, result, 'skipped');
    return attemptJob(stage, rendered, result, 0);
  };

  /**
   * startJob, with a throw while starting (a definition validation would refuse, such as a job without
   * a spec) handed back as a rejection, as when jobs started through async functions: in a parallel
   * stage the jobs after it still start.
   */
  const runOneJob = (stage: Stage, job: Job, result: JobResult): Promise<void> | void => {
    try {
      return startJob(stage, job, result);
    } catch (err) {
      return Promise.reject(err);
    }
  };

  const limit = definition.concurrency_limit ?? -1;
  const gated = limit > 0;
  const gateId = concurrencyGateWorkflowId(input.project, input.workflow);
  let granted = false;
  setHandler(gateGrantedSignal, () => {
    granted = true;
  });

  /** Waits, `queued`, until the workflow's concurrency gate hands this run a permit. */
  const acquirePermit = async () => {
    granted = false;
    setRunStatus('queued');
    await flush();
    await acquireConcurrencySlot({
      project: input.project,
      workflow: input.workflow,
      limit,
      runWorkflowId: runId,
      runNumber: input.runNumber,
    });
    await condition(() => granted);
  };

  const runStages = async () => {
    for (const [si, stageDef] of definition.stages.entries()) {
      const stage = stages[si]!;
      if (isDone(stage.status)) continue;
      if (stageDef.manual_exec?.enabled && !resumedStages.has(stageDef.name)) {
        stage.status = 'pause';
        pausedStage = stageDef.name;
        emit({ kind: 'stage', stage: stage.name, status: 'pause' });
        setRunStatus('pause');
        await flush();
        // Zadig frees the queue slot while a run waits for a person, and queues it again on resume.
        const yieldsPermit = gated && patchedBeforeV2('pause-frees-permit');
        if (yieldsPermit) await releaseSlot(gateId, runId);
        await condition(() => resumedStages.has(stageDef.name));
        pausedStage = undefined;
        if (yieldsPermit) await acquirePermit();
        setRunStatus('running');
      }
      stage.status = 'running';
      stage.startTime = Date.now();
      emit({ kind: 'stage', stage: stage.name, status: 'running' });
      const pairs = stageDef.jobs.map((def, ji) => ({ def, result: stage.jobs[ji]! }));
      if (stageDef.parallel) {
        await Promise.all(pairs.map(({ def, result }) => runOneJob(stageDef, def, result)));
      } else {
        for (const { def, result } of pairs) {
          await runOneJob(stageDef, def, result);
          if (isFailedish(result.status)) break;
        }
      }
      const cancelled = CancellationScope.current().consideredCancelled;
      stage.status = cancelled ? 'cancelled' : stageStatusFromJobs(stage.jobs.map((j) => j.status));
      stage.endTime = Date.now();
      emit({ kind: 'stage', stage: stage.name, status: stage.status });
      if (isFailedish(stage.status) || stage.status === 'pause') break;
    }
  };

  let cancelled = false;
  try {
    if (gated) await acquirePermit();
    setRunStatus('running');
    await runStages();
  } catch (err) {
    if (isCancellation(err)) cancelled = true;
    else runError = err instanceof Error ? err.message : String(err);
  }
  cancelled ||= CancellationScope.current().consideredCancelled;

  // The run's end happens also while the run is being cancelled: each of its waits is non-cancellable.
  // A run that leaves nothing to undo waits for nothing here, and makes no promise (see the job path).
  if (cancelled) markUnfinished(stages, 'cancelled', emit);
  const status: Status = cancelled
    ? 'cancelled'
    : runError
      ? 'failed'
      : runStatusFromStages(stages.map((s) => s.status));
  // Every job's cleanup, in reverse order, whatever the outcome: compensation lives here.
  const compensating = cleanupOrder(definition).filter((job) => COMPENSATING_JOB_TYPES.includes(job.type));
  if (compensating.length > 0 && patchedBeforeV2('kube-compensation')) {
    try {
      await CancellationScope.nonCancellable(() =>
        compensateJobs({
          runId,
          jobs: compensating.map((job) => ({ ...job, fromSpec: fromSpecOf(jobIndex.get(job.name)!.def) })),
        }),
      );
    } catch (err) {
      runError = `cleanup failed: ${err instanceof ActivityFailure && err.cause ? err.cause.message : (err as Error).message}`;
    }
  }
  if (patchedBeforeV2('cleanup-leftovers-only')) {
    // Most runs have none, and skip the round trip.
    const leftovers = cleanupOrder(definition).filter((job) => mayHaveLeftovers.has(job.name));
    if (leftovers.length > 0) await CancellationScope.nonCancellable(() => cleanupJobs({ runId, jobs: leftovers }));
  } else {
    await CancellationScope.nonCancellable(() => cleanupJobs({ runId, jobs: cleanupOrder(definition) }));
  }
  if (gated) await CancellationScope.nonCancellable(() => releaseSlot(gateId, runId));
  setRunStatus(status);
  const flushed = flush();
  if (flushed) await flushed;
  return snapshot();
}

/** Any reject decides an approval at once; otherwise enough approvals do. */
function isDecided({ votes, neededApprovers }: ApprovalState): boolean {
  return votes.some((v) => !v.approve) || votes.filter((v) => v.approve).length >= neededApprovers;
}

async function releaseSlot(gateId: string, runWorkflowId: string): Promise<void> {
  try {
    await getExternalWorkflowHandle(gateId).signal(gateReleaseSignal, { runWorkflowId });
  } catch {
    // No gate (cancelled before it was asked): nothing to release.
  }
}

/** A cancelled run leaves no job or stage looking alive. */
function markUnfinished(stages: StageResult[], status: Status, emit: (event: EventDraft) => void) {
  const alive = (s: Status) =>
    s === 'running' ||
    s === 'wait_for_approval' ||
    s === 'wait_for_manual_error_handling' ||
    s === 'pause' ||
    s === 'prepare';
  for (const stage of stages) {
    for (const job of stage.jobs) {
      if (!alive(job.status)) continue;
      job.status = status;
      emit({ kind: 'job', stage: stage.name, job: job.name, jobType: job.type, status });
    }
    if (alive(stage.status)) {
      stage.status = status;
      emit({ kind: 'stage', stage: stage.name, status });
    }
  }
}
