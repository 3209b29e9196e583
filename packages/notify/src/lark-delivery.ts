import type { NotifyCtl } from '@stagecoach/spec';
import { feishuCard, type Message } from './content.js';
import { larkMessageUuid, sendLarkCard, type LarkReceiver, type LarkSendDeps, type LarkApp } from './lark-app.js';
import type { MailDirectory } from './mail.js';
import { refusedDelivery, type DeliveryResult } from './send.js';

/** Zadig's lark.UserInfo `{id, id_type, name}`; a bare string is an open_id. */
type LarkUser = string | { id?: unknown; id_type?: unknown };

interface LarkGroupConfig {
  app_id?: string;
  chat?: { chat_id?: string; chat_name?: string };
  at_users?: LarkUser[];
  is_at_all?: boolean;
}

interface LarkPersonConfig {
  app_id?: string;
  target_users?: LarkUser[];
}

const ID_TYPES = new Set(['open_id', 'user_id', 'union_id', 'email']);

function receiverOf(user: LarkUser): LarkReceiver | undefined {
  if (typeof user === 'string') return user ? { id: user, idType: 'open_id' } : undefined;
  if (typeof user?.id !== 'string' || user.id === '') return undefined;
  const idType = typeof user.id_type === 'string' && ID_TYPES.has(user.id_type) ? user.id_type : 'open_id';
  return { id: user.id, idType: idType as LarkReceiver['idType'] };
}

export interface LarkDeliverDeps extends LarkSendDeps {
  apps: (key: string) => Promise<LarkApp | undefined>;
  /** approvers' addresses: Feishu reaches a person by email too */
  directory?: MailDirectory;
}

/** Every message's outcome as one: delivered when all were, else each failure named. */
function combined(results: { to: LarkReceiver; result: DeliveryResult }[]): DeliveryResult {
  const failed = results.filter((r) => !r.result.ok);
  const attempts = Math.max(0, ...results.map((r) => r.result.attempts));
  if (failed.length === 0) return { ok: true, attempts };
  const error = failed.map((f) => `${f.to.idType} ${f.to.id}: ${f.result.error ?? 'failed'}`).join('; ');
  return { ok: false, attempts, error, ...(failed[0]!.result.status ? { status: failed[0]!.result.status } : {}) };
}

/**
 * `feishu_app` (a card in a group chat, as the app) and `feishu_person` (a card to each person). A
 * waiting approval's approvers are added to `feishu_person` by the email of their Stagecoach user and
 * each gets a copy with only their own approval link; the other people get it with none.
 */
export async function deliverLarkApp(ctl: NotifyCtl, msg: Message, deps: LarkDeliverDeps): Promise<DeliveryResult> {
  const group = ctl.webhook_type === 'feishu_app';
  const cfg = (group ? ctl['lark_group_notification_config'] : ctl['lark_person_notification_config']) as
    (LarkGroupConfig & LarkPersonConfig) | undefined;
  if (!cfg?.app_id) return refusedDelivery('no app_id');
  const app = await deps.apps(cfg.app_id);
  if (!app) return refusedDelivery(`IM app "${cfg.app_id}" is not registered (/api/v1/im-apps)`);

  const sends: { to: LarkReceiver; message: Message; mentions?: string[] }[] = [];
  if (group) {
    const chatId = cfg.chat?.chat_id;
    if (!chatId) return refusedDelivery('no chat.chat_id');
    const mentions = (cfg.at_users ?? []).map(receiverOf).flatMap((r) => (r ? [r.id] : []));
    sends.push({ to: { id: chatId, idType: 'chat_id' }, message: msg, mentions });
  } else {
    const personal = msg.personal ?? [];
    const emails =
      personal.length > 0 && deps.directory
        ? await deps.directory.emailsOf(personal.map((p) => p.approver))
        : new Map<string, string>();
    for (const p of personal) {
      const email = emails.get(p.approver);
      if (email) sends.push({ to: { id: email, idType: 'email' }, message: p.message });
    }
    const reached = new Set(sends.map((s) => `${s.to.idType}:${s.to.id}`));
    for (const to of (cfg.target_users ?? []).map(receiverOf)) {
      if (!to || reached.has(`${to.idType}:${to.id}`)) continue;
      reached.add(`${to.idType}:${to.id}`);
      sends.push({ to, message: msg.withoutLinks ?? msg });
    }
  }
  if (sends.length === 0) return refusedDelivery('no recipient: no target user, and no approver with an email');

  const results: { to: LarkReceiver; result: DeliveryResult }[] = [];
  // One after another: Feishu allows 5 messages a second per person or group.
  for (const s of sends) {
    const card = feishuCard(s.message, { users: s.mentions ?? [], isAtAll: group && (cfg.is_at_all ?? false) })['card'];
    const result = await sendLarkCard(
      app,
      s.to,
      card as Record<string, unknown>,
      larkMessageUuid(msg.eventId, s.to),
      deps,
    );
    results.push({ to: s.to, result });
  }
  return combined(results);
}
