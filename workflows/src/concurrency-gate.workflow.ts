import { condition, continueAsNew, getExternalWorkflowHandle, setHandler, workflowInfo } from '@temporalio/workflow';
import { gateAcquireSignal, gateGrantedSignal, gateLimitSignal, gateReleaseSignal } from '@stagecoach/contracts';

export interface GateState {
  limit: number;
  holders: string[];
  queue: string[];
}

/** How long an idle gate lingers before it ends; a later run starts a new one with signal-with-start. */
const IDLE_LINGER = '10 minutes';

/**
 * One per workflow definition with a concurrency_limit: hands out run permits in FIFO order. Runs ask
 * with `acquire` and are told by the `granted` signal, so nobody polls.
 */
export async function concurrencyGateWorkflow(initial: GateState): Promise<void> {
  const state: GateState = { limit: initial.limit, holders: [...initial.holders], queue: [...initial.queue] };
  setHandler(gateAcquireSignal, ({ runWorkflowId }) => {
    if (!state.holders.includes(runWorkflowId) && !state.queue.includes(runWorkflowId)) state.queue.push(runWorkflowId);
  });
  setHandler(gateReleaseSignal, ({ runWorkflowId }) => {
    state.holders = state.holders.filter((id) => id !== runWorkflowId);
    state.queue = state.queue.filter((id) => id !== runWorkflowId);
  });
  setHandler(gateLimitSignal, (limit) => {
    state.limit = limit;
  });

  const canGrant = () => state.queue.length > 0 && state.holders.length < Math.max(1, state.limit);
  const idle = () => state.queue.length === 0 && state.holders.length === 0;
  for (;;) {
    if (idle() && !(await condition(() => !idle(), IDLE_LINGER))) return;
    await condition(() => canGrant() || idle() || workflowInfo().continueAsNewSuggested);
    if (workflowInfo().continueAsNewSuggested) await continueAsNew<typeof concurrencyGateWorkflow>(state);
    const next = canGrant() ? state.queue.shift() : undefined;
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
