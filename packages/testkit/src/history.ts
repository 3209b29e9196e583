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

/**
 * A workflow's whole history as text, every payload's bytes decoded: what a test searches for something
 * that must never be in Temporal. (JSON.stringify of the history shows payloads as base64, in which a
 * secret is found only when it happens to start on a multiple of three bytes.)
 */
export async function historyText(handle: WorkflowHandle): Promise<string> {
  const parts: string[] = [];
  const walk = (node: unknown): void => {
    if (node instanceof Uint8Array) parts.push(Buffer.from(node).toString('utf8'));
    else if (typeof node === 'string') parts.push(node);
    else if (node && typeof node === 'object') Object.values(node).forEach(walk);
  };
  walk(await handle.fetchHistory());
  return parts.join('\n');
}
