import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { TimerActivities, TimerFireInput } from '@stagecoach/contracts';

const { fireTimerTrigger } = proxyActivities<TimerActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

/**
 * What a timer trigger's schedule starts at each firing: it hands the firing to the common delivery
 * path, keyed by this execution's id (unique per firing), so retries never start a second run.
 */
export async function timerFireWorkflow(input: TimerFireInput): Promise<void> {
  await fireTimerTrigger({ ...input, fireId: workflowInfo().workflowId });
}
