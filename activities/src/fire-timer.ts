import { activityInfo, Context } from '@temporalio/activity';
import type { FireTimerActivityInput } from '@stagecoach/contracts';
import { getTrigger } from '@stagecoach/db';
import { fire, triggerParams } from '@stagecoach/triggers';
import type { ActivityDeps } from './create-activities.js';

/**
 * One firing of a timer trigger, through the same exactly-once delivery path as webhooks: the
 * firing's workflow id is the delivery key, so a retried activity starts no second run. A firing
 * while this trigger's previous run is unfinished is recorded as skipped (overlap policy skip).
 */
export async function fireTimerTriggerActivity(deps: ActivityDeps, input: FireTimerActivityInput): Promise<void> {
  const trigger = await getTrigger(deps.db, input.triggerId);
  if (!trigger) {
    // Deleted after its schedule fired: nothing left to run.
    Context.current().log.info('timer trigger no longer exists', { triggerId: input.triggerId });
    return;
  }
  const result = await fire(
    {
      db: deps.db,
      temporal: deps.temporal,
      box: deps.box,
      taskQueue: activityInfo().taskQueue,
      publicUrl: deps.publicUrl,
    },
    {
      source: 'timer',
      deliveryKey: input.fireId,
      trigger,
      event: 'timer',
      params: triggerParams(deps.box, trigger),
      skipWhileRunning: true,
    },
  );
  Context.current().log.info('timer fired', {
    triggerId: trigger.id,
    decision: result.decision,
    run: result.runNumber,
  });
}
