// Zadig's `notify_ctls` (models/workflow.go NotifyCtl; channel configs in models/workflow_v4.go).
import type { SpecIssue } from './types.js';

/** Every `webhook_type` Zadig defines; all of them are delivered. */
export const WEBHOOK_TYPES = [
  'feishu',
  'feishu_app',
  'feishu_person',
  'dingding',
  'wechat',
  'msteams',
  'mail',
  'webhook',
] as const;
export type WebhookType = (typeof WEBHOOK_TYPES)[number];

/** Workflow-level `notify_type` values. */
export const WORKFLOW_NOTIFY_TYPES = [
  'created',
  'passed',
  'failed',
  'timeout',
  'cancelled',
  'reject',
  'pause',
  'wait_for_approval',
  'changed',
] as const;
/** Job-level `notify_type` values. */
export const JOB_NOTIFY_TYPES = [
  'prepare',
  'passed',
  'failed',
  'timeout',
  'cancelled',
  'reject',
  'wait_for_approval',
] as const;
export type NotifyType = (typeof WORKFLOW_NOTIFY_TYPES)[number] | (typeof JOB_NOTIFY_TYPES)[number];

export interface LarkHookConfig {
  hook_address: string;
  at_users?: string[];
  is_at_all?: boolean;
  /** Signature verification secret of the custom bot (Stagecoach extension). */
  secret?: string;
  /** variable keys whose values add recipients (Zadig's dynamic_recipients) */
  dynamic_recipients?: string[];
}
export interface DingDingConfig {
  hook_address: string;
  at_mobiles?: string[];
  is_at_all?: boolean;
  /** "加签" secret of the custom robot (Stagecoach extension). */
  secret?: string;
  /** variable keys whose values add recipients (Zadig's dynamic_recipients) */
  dynamic_recipients?: string[];
}
export interface WeChatConfig {
  hook_address: string;
  at_users?: string[];
  is_at_all?: boolean;
  /** variable keys whose values add recipients (Zadig's dynamic_recipients) */
  dynamic_recipients?: string[];
}
export interface MSTeamsConfig {
  hook_address: string;
  at_emails?: string[];
  /** variable keys whose values add recipients (Zadig's dynamic_recipients) */
  dynamic_recipients?: string[];
}
export interface WebhookConfig {
  address: string;
  /** Key of the HMAC-SHA256 body signature (Zadig's field name). */
  token?: string;
}

export interface NotifyCtl {
  enabled?: boolean;
  webhook_type: WebhookType;
  notify_type: NotifyType[];
  lark_hook_notification_config?: LarkHookConfig;
  dingding_notification_config?: DingDingConfig;
  wechat_notification_config?: WeChatConfig;
  msteams_notification_config?: MSTeamsConfig;
  webhook_notification_config?: WebhookConfig;
  [key: string]: unknown;
}

/** What a run freezes: the workflow's ctls and each job's. */
export interface RunNotifyCtls {
  workflow: NotifyCtl[];
  jobs: Record<string, NotifyCtl[]>;
  /** The workflow's display name when the run started (used in message titles). */
  displayName?: string;
  /** What a trigger supplied (`payload.*`), kept for `dynamic_recipients`; never credentials. */
  variables?: Record<string, string>;
  /**
   * The run's key of its credential placeholders (see credentialKey), when it has credential params:
   * the ctls hold the placeholders, and the notifier fills them in from run_secrets when it sends.
   */
  secretMarker?: string;
}

/** The config key and address field each HTTP channel needs. */
export const CHANNEL_CONFIG: Record<
  'feishu' | 'dingding' | 'wechat' | 'msteams' | 'webhook',
  { key: string; address: string }
> = {
  msteams: { key: 'msteams_notification_config', address: 'hook_address' },
  feishu: { key: 'lark_hook_notification_config', address: 'hook_address' },
  dingding: { key: 'dingding_notification_config', address: 'hook_address' },
  wechat: { key: 'wechat_notification_config', address: 'hook_address' },
  webhook: { key: 'webhook_notification_config', address: 'address' },
};

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const absent = (v: unknown) => v === undefined || v === null;
const quote = (values: readonly string[]) => values.map((v) => JSON.stringify(v)).join(', ');

/**
 * Checks a `notify_ctls` list (workflow level or job level) and returns every problem with its path.
 * Messages never quote secrets or addresses (addresses of custom bots carry their access token).
 */
export function checkNotifyCtls(list: unknown[], path: string, level: 'workflow' | 'job'): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const add = (p: string, message: string) => issues.push({ path: p, message });
  const allowedTypes: readonly string[] = level === 'workflow' ? WORKFLOW_NOTIFY_TYPES : JOB_NOTIFY_TYPES;
  list.forEach((ctl, i) => {
    const at = `${path}[${i}]`;
    if (!isObj(ctl)) return add(at, 'must be an object');
    if (!absent(ctl['enabled']) && typeof ctl['enabled'] !== 'boolean') add(`${at}.enabled`, 'must be a boolean');
    const type = ctl['webhook_type'];
    if (absent(type) || type === '') add(`${at}.webhook_type`, 'is required');
    else if (typeof type !== 'string' || !(WEBHOOK_TYPES as readonly string[]).includes(type)) {
      add(`${at}.webhook_type`, `must be one of ${quote(WEBHOOK_TYPES)} (got ${JSON.stringify(type)})`);
    }
    const nt = ctl['notify_type'];
    if (absent(nt)) add(`${at}.notify_type`, 'is required');
    else if (!Array.isArray(nt)) add(`${at}.notify_type`, 'must be an array');
    else {
      nt.forEach((t, j) => {
        if (typeof t !== 'string' || !allowedTypes.includes(t)) {
          add(`${at}.notify_type[${j}]`, `must be one of ${quote(allowedTypes)} (got ${JSON.stringify(t)})`);
        }
      });
    }
    checkChannelConfig(ctl, at, add);
  });
  return issues;
}

/** A value with a run variable (`{{.workflow.params.x}}`) is checked when the run fills it in, not when saved. */
const isTemplated = (value: string) => value.includes('{{.');

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * Checks the channel config a ctl (or a `notification` job spec) needs for its webhook_type.
 * Messages never quote secrets or addresses.
 */
export function checkChannelConfig(ctl: Obj, at: string, add: (path: string, message: string) => void): void {
  const type = ctl['webhook_type'];
  if (type === 'mail') return checkMailConfig(ctl['mail_notification_config'], `${at}.mail_notification_config`, add);
  if (type === 'feishu_app' || type === 'feishu_person') return checkLarkAppConfig(ctl, type, at, add);
  if (typeof type !== 'string' || !(type in CHANNEL_CONFIG)) return;
  const { key, address } = CHANNEL_CONFIG[type as keyof typeof CHANNEL_CONFIG];
  const cfgPath = `${at}.${key}`;
  const cfg = ctl[key];
  if (!isObj(cfg)) return add(cfgPath, absent(cfg) ? 'is required' : 'must be an object');
  const url = cfg[address];
  if (absent(url) || url === '') add(`${cfgPath}.${address}`, 'is required');
  else if (typeof url !== 'string' || (!isTemplated(url) && !/^https?:\/\/[^\s/]+/.test(url))) {
    add(`${cfgPath}.${address}`, 'must be an http(s) URL');
  }
  for (const listKey of ['at_users', 'at_mobiles', 'at_emails', 'dynamic_recipients']) {
    const v = cfg[listKey];
    if (absent(v)) continue;
    if (!Array.isArray(v) || v.some((s) => typeof s !== 'string'))
      add(`${cfgPath}.${listKey}`, 'must be a list of strings');
  }
  if (!absent(cfg['is_at_all']) && typeof cfg['is_at_all'] !== 'boolean')
    add(`${cfgPath}.is_at_all`, 'must be a boolean');
  for (const secretKey of ['secret', 'token']) {
    if (!absent(cfg[secretKey]) && typeof cfg[secretKey] !== 'string')
      add(`${cfgPath}.${secretKey}`, 'must be a string');
  }
}

/**
 * Zadig's `lark_group_notification_config {app_id, chat: {chat_id}, at_users, is_at_all}` and
 * `lark_person_notification_config {app_id, target_users}`; users are `{id, id_type}` (open_id by
 * default) or a bare open_id. `app_id` names an app registered under /api/v1/im-apps.
 */
function checkLarkAppConfig(
  ctl: Obj,
  type: 'feishu_app' | 'feishu_person',
  at: string,
  add: (path: string, message: string) => void,
): void {
  const key = type === 'feishu_app' ? 'lark_group_notification_config' : 'lark_person_notification_config';
  const cfgPath = `${at}.${key}`;
  const cfg = ctl[key];
  if (!isObj(cfg)) return add(cfgPath, absent(cfg) ? 'is required' : 'must be an object');
  if (typeof cfg['app_id'] !== 'string' || cfg['app_id'] === '') add(`${cfgPath}.app_id`, 'is required');
  const dynamic = cfg['dynamic_recipients'];
  if (!absent(dynamic) && (!Array.isArray(dynamic) || dynamic.some((k) => typeof k !== 'string')))
    add(`${cfgPath}.dynamic_recipients`, 'must be a list of strings');
  const usersKey = type === 'feishu_app' ? 'at_users' : 'target_users';
  const users = cfg[usersKey];
  if (!absent(users)) {
    if (!Array.isArray(users)) add(`${cfgPath}.${usersKey}`, 'must be a list');
    else
      users.forEach((u, i) => {
        if (typeof u === 'string' ? u === '' : !isObj(u) || typeof u['id'] !== 'string' || u['id'] === '')
          add(`${cfgPath}.${usersKey}[${i}]`, 'must be {id, id_type} or an open_id');
        else if (isObj(u) && !absent(u['id_type']) && !LARK_ID_TYPES.includes(u['id_type'] as string))
          add(`${cfgPath}.${usersKey}[${i}].id_type`, `must be one of ${quote(LARK_ID_TYPES)}`);
      });
  }
  if (type === 'feishu_app') {
    const chat = cfg['chat'];
    if (!isObj(chat) || typeof chat['chat_id'] !== 'string' || chat['chat_id'] === '')
      add(`${cfgPath}.chat.chat_id`, 'is required');
    if (!absent(cfg['is_at_all']) && typeof cfg['is_at_all'] !== 'boolean')
      add(`${cfgPath}.is_at_all`, 'must be a boolean');
  }
}

const LARK_ID_TYPES = ['open_id', 'user_id', 'union_id', 'email'];

/**
 * Zadig's `mail_notification_config {target_users}`: a `user` entry carries its `email` or a `user_name` to
 * look up; a `group` entry names a user group, replaced by its members when a run is built.
 */
function checkMailConfig(cfg: unknown, cfgPath: string, add: (path: string, message: string) => void): void {
  if (!isObj(cfg)) return add(cfgPath, absent(cfg) ? 'is required' : 'must be an object');
  const dynamic = cfg['dynamic_recipients'];
  if (!absent(dynamic) && (!Array.isArray(dynamic) || dynamic.some((k) => typeof k !== 'string')))
    add(`${cfgPath}.dynamic_recipients`, 'must be a list of strings');
  const hasDynamic = Array.isArray(dynamic) && dynamic.length > 0;
  const users = cfg['target_users'] ?? (hasDynamic ? [] : undefined);
  if (!Array.isArray(users) || (users.length === 0 && !hasDynamic))
    return add(`${cfgPath}.target_users`, 'must be a non-empty list (or name dynamic_recipients)');
  users.forEach((u, k) => {
    const p = `${cfgPath}.target_users[${k}]`;
    if (!isObj(u)) return add(p, 'must be an object');
    const kind = u['type'] ?? 'user';
    if (kind === 'task_creator') return;
    if (kind === 'group') {
      const named = ['group_name', 'group_id'].some((key) => typeof u[key] === 'string' && u[key] !== '');
      return named ? undefined : add(p, 'needs group_name or group_id');
    }
    if (kind !== 'user') return add(`${p}.type`, 'must be "user", "group" or "task_creator"');
    const email = u['email'];
    // Without an address the user's name is looked up in the user directory when the mail goes out.
    if (absent(email) && typeof u['user_name'] === 'string' && u['user_name'] !== '') return;
    if (typeof email !== 'string' || (!isTemplated(email) && !EMAIL.test(email)))
      add(`${p}.email`, 'must be an email address (or leave it out and name a user_name)');
  });
}

/**
 * Renders run variables into notify ctls (recipients, addresses) except `dynamic_recipients`: those
 * are variable keys whose last segment says what kind of recipient they hold, so they must stay
 * keys until the notifier resolves them.
 */
export function renderNotifyCtls(ctls: readonly NotifyCtl[], render: <T>(value: T) => T): NotifyCtl[] {
  return ctls.map((ctl) => {
    const kept = new Map<string, unknown>();
    const stripped: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(ctl)) {
      if (isObj(value) && 'dynamic_recipients' in value) {
        const { dynamic_recipients: keys, ...rest } = value;
        kept.set(key, keys);
        stripped[key] = rest;
      } else stripped[key] = value;
    }
    const rendered = render(stripped) as Record<string, unknown>;
    for (const [key, keys] of kept) (rendered[key] as Obj)['dynamic_recipients'] = keys;
    return rendered as NotifyCtl;
  });
}
