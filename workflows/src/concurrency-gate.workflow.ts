import { condition, continueAsNew, getExternalWorkflowHandle, setHandler, workflowInfo } from '@temporalio/workflow';
import {
  gateAcquireSignal,
  gateGrantedSignal,
  gateReleaseSignal,
  type GateAcquireRequest,
} from '@stagecoach/contracts';

export interface GateState {
  limit: number;
  holders: string[];
  /** waiting runs, lowest run number first */
  queue: GateAcquireRequest[];
}

/** How long an idle gate lingers before it ends; a later run starts a new one with signal-with-start. */
const IDLE_LINGER = '10 minutes';

/**
 * One per workflow definition with a concurrency_limit: hands out run permits in FIFO order. Runs ask
 * with `acquire` and are told by the `granted` signal, so nobody polls.
 */
export async function concurrencyGateWorkflow(initial: GateState): Promise<void> {
  const state: GateState = { limit: initial.limit, holders: [...initial.holders], queue: [...initial.queue] };
  setHandler(gateAcquireSignal, (request) => {
    state.limit = request.limit;
    if (
      state.holders.includes(request.runWorkflowId) ||
      state.queue.some((q) => q.runWorkflowId === request.runWorkflowId)
    )
      return;
    // Runs ask concurrently, so arrival order is not creation order: keep the queue in run-number order.
    const at = state.queue.findIndex((q) => q.runNumber > request.runNumber);
    state.queue.splice(at === -1 ? state.queue.length : at, 0, request);
  });
  setHandler(gateReleaseSignal, ({ runWorkflowId }) => {
    state.holders = state.holders.filter((id) => id !== runWorkflowId);
    state.queue = state.queue.filter((q) => q.runWorkflowId !== runWorkflowId);
  });

  const canGrant = () => state.queue.length > 0 && state.holders.length < Math.max(1, state.limit);
  const idle = () => state.queue.length === 0 && state.holders.length === 0;
  for (;;) {
    if (idle() && !(await condition(() => !idle(), IDLE_LINGER))) return;
    await condition(() => canGrant() || idle() || workflowInfo().continueAsNewSuggested);
    if (workflowInfo().continueAsNewSuggested) await continueAsNew<typeof concurrencyGateWorkflow>(state);
    const next = canGrant() ? state.queue.shift()?.runWorkflowId : undefined;
    if (next === undefined) continue;
    state.holders.push(next);
    try {
      await getExternalWorkflowHandle(next).signal(gateGrantedSignal);
    } catch {
      // The run ended while queued: its permit goes to the next in line.
      state.holders = state.holders.filter((id) => id !== next);
    }
  }
}
