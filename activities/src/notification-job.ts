import { ApplicationFailure } from '@temporalio/common';
import { ErrorType } from '@stagecoach/contracts';
import { emailsOf, openImApp } from '@stagecoach/db';
import { customMessage, deliverMessage } from '@stagecoach/notify';
import { maskSecrets } from '@stagecoach/platform';
import type { NotificationSpec, NotifyCtl } from '@stagecoach/spec';
import type { JobContext } from './run-job.js';

/**
 * Zadig's `notification` job: sends its title and content (variables already rendered) on its
 * channel with the same senders, signatures and retry rules as run notifications. Delivered means
 * passed; a refused or exhausted delivery fails the job with the reason (secrets masked).
 */
export async function runNotificationJob(
  { deps, input, spec, log }: JobContext<NotificationSpec>,
  secretValues: string[],
): Promise<Record<string, string>> {
  const msg = customMessage({
    title: spec.title,
    content: spec.content,
    eventId: `${input.runId}:${input.retryNum}:${input.job}`,
    project: input.project,
    workflow: input.workflow,
    runNumber: input.runNumber,
    job: input.job,
    ...(input.runUrl ? { url: input.runUrl } : {}),
  });
  // The title may carry a credential param: the log shows it masked, as a script's output is.
  log.write(maskSecrets(`sending "${spec.title}" by ${spec.webhook_type}\n`, secretValues));
  const ctl: NotifyCtl = { ...spec, notify_type: [] } as NotifyCtl;
  const result = await deliverMessage(ctl, msg, {
    ...(deps.mailer ? { mailer: deps.mailer } : {}),
    mailDirectory: { creator: input.env['TASK_CREATOR'], emailsOf: (names) => emailsOf(deps.db, names) },
    larkApps: (key) => openImApp(deps.db, deps.box, key),
  });
  if (!result.ok) {
    const reason = maskSecrets(result.error ?? 'unknown error', secretValues);
    log.write(`not delivered after ${result.attempts} attempt(s): ${reason}\n`);
    // Retries already happened inside the delivery; another activity attempt would only repeat them.
    throw ApplicationFailure.create({
      type: ErrorType.JobFailed,
      message: `notification not delivered: ${reason}`,
      nonRetryable: true,
    });
  }
  log.write(`delivered in ${result.attempts} attempt(s)\n`);
  return {};
}
