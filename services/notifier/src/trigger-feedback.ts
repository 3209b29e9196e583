import { runUrl, type RunEvent } from '@stagecoach/contracts';
import {
  claimNotification,
  finishNotification,
  getDeliveryOfRun,
  getTrigger,
  type Db,
  type TriggerDeliveryRow,
  type TriggerRow,
} from '@stagecoach/db';
import { maskSecrets, type Logger, type SecretBox } from '@stagecoach/platform';
import { isTerminal, type Status } from '@stagecoach/spec';
import {
  postJiraComment,
  postMeegoComment,
  triggerSecrets,
  type JiraConfig,
  type MeegoConfig,
} from '@stagecoach/triggers';

export interface TriggerFeedbackOptions {
  db: Db;
  box: SecretBox;
  logger: Logger;
  publicUrl: string;
}

const FEEDBACK_CTL = 'trigger-feedback';

/** Zadig's comment: ✅ or ❌, the run and its link. */
export function feedbackText(run: Pick<RunEvent, 'workflow' | 'runNumber'>, status: Status, url: string): string {
  const mark = status === 'passed' || status === 'unstable' ? '✅' : '❌';
  return `${mark} Stagecoach workflow ${run.workflow} run #${run.runNumber} ended: ${status}\n${url}`;
}

/**
 * When a run that a Jira or Feishu Project trigger started ends, comments the result and the run
 * link on the issue or work item. Recorded in `notifications` like any message (one per run
 * attempt), so a redelivered event does not comment twice once the outcome is recorded.
 */
export function createTriggerFeedback(opts: TriggerFeedbackOptions) {
  const log = opts.logger.child({ component: 'trigger-feedback' });

  async function comment(
    run: Pick<RunEvent, 'project' | 'workflow' | 'runNumber'>,
    delivery: TriggerDeliveryRow,
    trigger: TriggerRow,
    secrets: Record<string, string>,
    status: Status,
  ): Promise<void> {
    const text = feedbackText(run, status, runUrl(opts.publicUrl, run.project, run.workflow, run.runNumber));
    if (delivery.source === 'jira') {
      const config = trigger.config as unknown as JiraConfig;
      if (!secrets.jira_token) throw new Error('the trigger has no jira_token to comment with');
      await postJiraComment(
        {
          jiraUrl: config.jira_url,
          user: config.jira_user,
          token: secrets.jira_token,
          issueKey: delivery.context.issue_key!,
        },
        text,
      );
    } else {
      const config = trigger.config as unknown as MeegoConfig;
      if (!secrets.plugin_token) throw new Error('the trigger has no plugin_token to comment with');
      await postMeegoComment(
        {
          meegoUrl: config.meego_url,
          pluginToken: secrets.plugin_token,
          userKey: config.user_key,
          projectKey: delivery.context.project_key!,
          workItemTypeKey: delivery.context.work_item_type_key!,
          workItemId: delivery.context.work_item_id!,
        },
        text,
      );
    }
  }

  return async function handle(event: RunEvent): Promise<void> {
    if (event.kind !== 'run' || !isTerminal(event.status)) return;
    // One indexed lookup answers "did a Jira or Feishu Project trigger start this run?".
    const delivery = await getDeliveryOfRun(opts.db, event.project, event.workflow, event.runNumber);
    if (!delivery || (delivery.source !== 'jira' && delivery.source !== 'meego')) return;
    const claim = { eventId: `${event.runId}:ended:${event.retryNum}`, ctl: FEEDBACK_CTL };
    const claimed = await claimNotification(opts.db, {
      ...claim,
      runId: event.runId,
      webhookType: delivery.source,
      notifyType: event.status,
    });
    if (!claimed) return;
    const trigger = await getTrigger(opts.db, delivery.triggerId);
    const secrets = trigger ? triggerSecrets(opts.box, trigger) : {};
    try {
      if (!trigger) throw new Error('the trigger that started the run was deleted');
      await comment(event, delivery, trigger, secrets, event.status);
      await finishNotification(opts.db, claim, { status: 'sent', attempts: 1 });
      log.info({ runId: event.runId, source: delivery.source }, 'result commented on the work item');
    } catch (err) {
      const error = maskSecrets((err as Error).message, Object.values(secrets));
      await finishNotification(opts.db, claim, { status: 'failed', attempts: 1, error });
      log.warn({ runId: event.runId, source: delivery.source, error }, 'commenting the result failed');
    }
  };
}
