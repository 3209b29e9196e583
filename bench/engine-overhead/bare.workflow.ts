// The baseline: the same 4-stage x 3-job shape written by hand as a bare Temporal workflow calling
// the same job activity with the same options, with none of Stagecoach's bookkeeping.
import { ActivityCancellationType, proxyActivities } from '@temporalio/workflow';
import type { JobActivityInput, RunActivities } from '@stagecoach/contracts';

const { runJob } = proxyActivities<RunActivities>({
  startToCloseTimeout: '65 minutes',
  heartbeatTimeout: '10 seconds',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { initialInterval: '1 second', maximumAttempts: 10 },
});

export async function bareShapeWorkflow(jobs: JobActivityInput[][]): Promise<void> {
  for (const stage of jobs) await Promise.all(stage.map((job) => runJob(job)));
}
