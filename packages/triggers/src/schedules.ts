import { ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import { TASK_QUEUE, TIMER_FIRE_WORKFLOW, timerScheduleId, type TimerFireInput } from '@stagecoach/contracts';
import type { TriggerRow } from '@stagecoach/db';
import { ValidationError } from '@stagecoach/platform';
import { scheduleSpecOf, type TimerConfig } from './timer.js';

/**
 * Makes the trigger's Temporal schedule match the stored trigger: created if missing, otherwise
 * updated in place; a disabled trigger's schedule is paused. Each firing starts the timer-fire
 * workflow, which starts the run through the common delivery path.
 */
export async function syncTimerSchedule(temporal: Client, trigger: TriggerRow, taskQueue = TASK_QUEUE): Promise<void> {
  const config = trigger.config as unknown as TimerConfig;
  const spec = scheduleSpecOf(config);
  const oneShot = config.job_type === 'unix_stamp';
  const action = {
    type: 'startWorkflow' as const,
    workflowType: TIMER_FIRE_WORKFLOW,
    workflowId: `timer-fire/${trigger.id}`,
    taskQueue,
    args: [{ triggerId: trigger.id } satisfies TimerFireInput],
  };
  const state = {
    paused: !trigger.enabled,
    note: trigger.enabled ? '' : 'trigger disabled',
    ...(oneShot ? { remainingActions: 1 } : {}),
  };
  try {
    await upsertSchedule(temporal, { scheduleId: timerScheduleId(trigger.id), spec, action, state });
  } catch (err) {
    // The client reports the server's INVALID_ARGUMENT "Invalid schedule spec" as a TypeError (as it
    // does its own checks of a spec): a timer timerIssues let through.
    if (!(err instanceof TypeError)) throw err;
    const field = /time zone/i.test(err.message) ? 'time_zone' : WHEN_FIELD[config.job_type];
    throw new ValidationError(`Temporal refused the timer's schedule: ${err.message}`, [
      { path: field, message: err.message },
    ]);
  }
}

/** Updates the schedule in place, or creates it (overlapping firings skipped) when there is none. */
async function upsertSchedule(
  temporal: Client,
  { scheduleId, spec, action, state }: Pick<ScheduleOptions, 'scheduleId' | 'spec' | 'action' | 'state'>,
): Promise<void> {
  try {
    await temporal.schedule
      .getHandle(scheduleId)
      .update((previous) => ({ ...previous, spec, action, state: { ...previous.state, ...state } }));
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
    await temporal.schedule.create({
      scheduleId,
      spec,
      action,
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
      state,
    });
  }
}

/** The field that says when each kind of timer fires. */
const WHEN_FIELD: Record<TimerConfig['job_type'], string> = {
  timing: 'time',
  gap: 'number',
  crontab: 'cron',
  unix_stamp: 'unix_stamp',
};

export async function deleteTimerSchedule(temporal: Client, triggerId: string): Promise<void> {
  try {
    await temporal.schedule.getHandle(timerScheduleId(triggerId)).delete();
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
  }
}
