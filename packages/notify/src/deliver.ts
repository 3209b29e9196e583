import { CHANNEL_CONFIG, type NotifyCtl } from '@stagecoach/spec';
import type { Message } from './content.js';
import { deliverLarkApp } from './lark-delivery.js';
import { LarkTokens, type LarkAppDirectory } from './lark-app.js';
import { mailRecipients, prepareMail, sendMailWithRetry, type MailDirectory, type Mailer } from './mail.js';
import { prepareRequest } from './request.js';
import { refusedDelivery, sendWithRetry, type DeliveryResult, type SendDeps } from './send.js';

export interface DeliverDeps extends SendDeps {
  /** absent: mail ctls fail with a reason saying SMTP is not configured */
  mailer?: Mailer;
  /** resolves mail recipients named by user name or `task_creator` */
  mailDirectory?: MailDirectory;
  /** registered Feishu apps (`feishu_app`, `feishu_person`); absent: those ctls fail saying so */
  larkApps?: LarkAppDirectory;
  now?: () => number;
}

/** Feishu app tokens, one cache for every sender in this process. */
const larkTokens = new LarkTokens();

/**
 * Sends one message on one ctl's channel, with the channel's retry rules; never throws. Run
 * notifications and `notification` jobs both go through here.
 */
export async function deliverMessage(ctl: NotifyCtl, msg: Message, deps: DeliverDeps = {}): Promise<DeliveryResult> {
  if (ctl.webhook_type === 'mail') {
    if (!deps.mailer) return refusedDelivery('mail is not configured (STAGECOACH_SMTP_URL)');
    const to = await mailRecipients(ctl, deps.mailDirectory);
    if (to.length === 0) return refusedDelivery('no recipient address: no target user has an email');
    return sendMailWithRetry(deps.mailer, prepareMail(msg, to), deps);
  }
  if (ctl.webhook_type === 'feishu_app' || ctl.webhook_type === 'feishu_person') {
    if (!deps.larkApps) return refusedDelivery('Feishu apps are not configured here');
    return deliverLarkApp(ctl, msg, {
      ...deps,
      apps: deps.larkApps,
      tokens: larkTokens,
      ...(deps.mailDirectory ? { directory: deps.mailDirectory } : {}),
    });
  }
  const req = prepareRequest(ctl, msg, (deps.now ?? Date.now)());
  if (req) return sendWithRetry(req, deps);
  const channel = CHANNEL_CONFIG[ctl.webhook_type as keyof typeof CHANNEL_CONFIG];
  // A saved ctl has its address; one that is empty now came from a variable that had no value.
  return refusedDelivery(
    channel
      ? `no address: ${channel.key}.${channel.address} is empty (a variable it names may have had no value)`
      : `webhook_type ${JSON.stringify(ctl.webhook_type)} is not delivered`,
  );
}
