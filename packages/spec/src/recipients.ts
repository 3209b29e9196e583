import type { NotifyCtl } from './notify.js';

type Kind = 'email' | 'mobile' | 'user_id';

/**
 * Zadig's rule (ParseDynamicRecipientKind): the last segment of a variable key says what it holds —
 * `email` or `*_email`, `mobile` or `phone`, `user_id` / `userid` / `uid`.
 */
export function recipientKind(key: string): Kind | undefined {
  const last = key.split('.').at(-1)!.toLowerCase();
  if (last === 'email' || last.endsWith('_email')) return 'email';
  if (last === 'mobile' || last === 'phone') return 'mobile';
  if (last === 'user_id' || last === 'userid' || last === 'uid') return 'user_id';
  return undefined;
}

/** `{{.workflow.params.owner_email}}` or `workflow.params.owner_email` → `workflow.params.owner_email`. */
const bareKey = (key: string) =>
  key
    .replace(/^\{\{\s*\.?/, '')
    .replace(/\s*\}\}$/, '')
    .trim();

interface Target {
  config: string;
  field: string;
  /** how one resolved value is written into the field; the value itself by default */
  entry?: (value: string) => unknown;
}

const larkUser = (idType: string) => (id: string) => ({ id, id_type: idType });

/** Where each channel keeps recipients of each kind. */
const TARGETS: Record<string, Partial<Record<Kind, Target>>> = {
  feishu: { user_id: { config: 'lark_hook_notification_config', field: 'at_users' } },
  feishu_app: {
    user_id: { config: 'lark_group_notification_config', field: 'at_users', entry: larkUser('user_id') },
  },
  feishu_person: {
    user_id: { config: 'lark_person_notification_config', field: 'target_users', entry: larkUser('user_id') },
    email: { config: 'lark_person_notification_config', field: 'target_users', entry: larkUser('email') },
  },
  dingding: { mobile: { config: 'dingding_notification_config', field: 'at_mobiles' } },
  wechat: { user_id: { config: 'wechat_notification_config', field: 'at_users' } },
  msteams: { email: { config: 'msteams_notification_config', field: 'at_emails' } },
  mail: {
    email: { config: 'mail_notification_config', field: 'target_users', entry: (email) => ({ type: 'user', email }) },
  },
};

/** The ctl's `dynamic_recipients` keys, wherever its channel config keeps them. */
export function dynamicRecipientKeys(ctl: NotifyCtl): string[] {
  const keys: string[] = [];
  for (const value of Object.values(ctl)) {
    const list = (value as { dynamic_recipients?: unknown } | undefined)?.dynamic_recipients;
    if (Array.isArray(list)) keys.push(...list.filter((k): k is string => typeof k === 'string'));
  }
  return keys;
}

/**
 * The ctl with its `dynamic_recipients` resolved against the run's variables and added to the
 * channel's own recipients (mentions, mail addresses) by kind. Keys that resolve to nothing, or to
 * a kind the channel has no place for, add nobody.
 */
export function withDynamicRecipients(ctl: NotifyCtl, values: Readonly<Record<string, string>>): NotifyCtl {
  const keys = dynamicRecipientKeys(ctl);
  if (keys.length === 0) return ctl;
  const targets = TARGETS[ctl.webhook_type] ?? {};
  // A JSON copy: workflow code runs where structuredClone does not exist.
  const out = JSON.parse(JSON.stringify(ctl)) as Record<string, unknown>;
  for (const raw of keys) {
    const key = bareKey(raw);
    const kind = recipientKind(key);
    const value = values[key]?.trim();
    const target = kind ? targets[kind] : undefined;
    if (!value || !target) continue;
    const config = (out[target.config] ??= {}) as Record<string, unknown>;
    const list = Array.isArray(config[target.field]) ? [...(config[target.field] as unknown[])] : [];
    for (const one of value.split(/[,;\s]+/).filter(Boolean)) {
      list.push(target.entry ? target.entry(one) : one);
    }
    config[target.field] = list;
  }
  return out as NotifyCtl;
}
