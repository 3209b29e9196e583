import type { WorkflowHandle } from '@temporalio/client';
import type { JobActivityInput } from '@stagecoach/contracts';

type HistoryEvent = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>[number];

/**
 * The job a history event schedules: the decoded input of a `runJob` ActivityTaskScheduled event, or
 * undefined for any other event. Runs carry their inputs as JSON payloads (the default converter).
 */
export function scheduledJob(event: HistoryEvent): JobActivityInput | undefined {
  const scheduled = event.activityTaskScheduledEventAttributes;
  if (scheduled?.activityType?.name !== 'runJob') return undefined;
  return JSON.parse(Buffer.from(scheduled.input!.payloads![0]!.data!).toString()) as JobActivityInput;
}
