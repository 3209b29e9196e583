import type { NotifyCtl } from '@stagecoach/spec';
import { dingTalkMessage, feishuCard, teamsCard, weComMessage, type Message } from './content.js';
import { dingtalkSign, feishuSign, webhookSignature } from './sign.js';

export type Channel = 'feishu' | 'dingding' | 'wechat' | 'msteams' | 'webhook';

/** One HTTP request ready to send, with what must never be shown (addresses carry tokens). */
export interface PreparedRequest {
  channel: Channel;
  url: string;
  headers: Record<string, string>;
  body: string;
  /** Values to mask in every error text and log line about this request. */
  secrets: string[];
}

/** Header names of the generic webhook. */
export const SIGNATURE_HEADER = 'X-Stagecoach-Signature';
export const EVENT_ID_HEADER = 'X-Stagecoach-Event-Id';
export const EVENT_HEADER = 'X-Stagecoach-Event';

/** Every secret a ctl holds: signing secrets, tokens, and its address (custom bot URLs embed their token). */
export function ctlSecrets(ctl: NotifyCtl): string[] {
  const out: string[] = [];
  for (const cfg of [
    ctl.lark_hook_notification_config,
    ctl.dingding_notification_config,
    ctl.wechat_notification_config,
    ctl.msteams_notification_config,
    ctl.webhook_notification_config,
  ]) {
    if (!cfg) continue;
    const c = cfg as unknown as Record<string, unknown>;
    for (const key of ['secret', 'token', 'hook_address', 'address']) {
      const v = c[key];
      if (typeof v === 'string' && v) out.push(v);
    }
    const address = typeof c['hook_address'] === 'string' ? c['hook_address'] : c['address'];
    if (typeof address === 'string') {
      try {
        const url = new URL(address);
        for (const v of url.searchParams.values()) if (v.length >= 6) out.push(v);
        for (const seg of url.pathname.split('/')) if (seg.length >= 16) out.push(seg);
      } catch {
        // not a URL: the whole string is already masked
      }
    }
  }
  return out;
}

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' };

/**
 * The request that carries `msg` on the ctl's channel, signed as the vendor verifies it; undefined
 * for channels delivered otherwise (mail) or not yet (Feishu apps). `nowMs` supplies the signing
 * timestamp.
 */
export function prepareRequest(ctl: NotifyCtl, msg: Message, nowMs: number): PreparedRequest | undefined {
  const secrets = ctlSecrets(ctl);
  switch (ctl.webhook_type) {
    case 'feishu': {
      const cfg = ctl.lark_hook_notification_config;
      if (!cfg?.hook_address) return undefined;
      const message = feishuCard(msg, { users: cfg.at_users ?? [], isAtAll: cfg.is_at_all ?? false });
      const timestamp = Math.floor(nowMs / 1000);
      const signed = cfg.secret ? { timestamp: String(timestamp), sign: feishuSign(cfg.secret, timestamp) } : {};
      return {
        channel: 'feishu',
        url: cfg.hook_address,
        headers: { ...JSON_HEADERS },
        body: JSON.stringify({ ...signed, ...message }),
        secrets,
      };
    }
    case 'dingding': {
      const cfg = ctl.dingding_notification_config;
      if (!cfg?.hook_address) return undefined;
      const message = dingTalkMessage(msg, { mobiles: cfg.at_mobiles ?? [], isAtAll: cfg.is_at_all ?? false });
      let url = cfg.hook_address;
      if (cfg.secret) {
        const sign = encodeURIComponent(dingtalkSign(cfg.secret, nowMs));
        url += `${url.includes('?') ? '&' : '?'}timestamp=${nowMs}&sign=${sign}`;
      }
      return { channel: 'dingding', url, headers: { ...JSON_HEADERS }, body: JSON.stringify(message), secrets };
    }
    case 'wechat': {
      const cfg = ctl.wechat_notification_config;
      if (!cfg?.hook_address) return undefined;
      const message = weComMessage(msg, { users: cfg.at_users ?? [], isAtAll: cfg.is_at_all ?? false });
      return {
        channel: 'wechat',
        url: cfg.hook_address,
        headers: { ...JSON_HEADERS },
        body: JSON.stringify(message),
        secrets,
      };
    }
    case 'msteams': {
      const cfg = ctl.msteams_notification_config;
      if (!cfg?.hook_address) return undefined;
      const body = JSON.stringify(teamsCard(msg, cfg.at_emails ?? []));
      return { channel: 'msteams', url: cfg.hook_address, headers: { ...JSON_HEADERS }, body, secrets };
    }
    case 'webhook': {
      const cfg = ctl.webhook_notification_config;
      if (!cfg?.address) return undefined;
      const body = JSON.stringify(msg.payload);
      const headers: Record<string, string> = {
        ...JSON_HEADERS,
        [EVENT_ID_HEADER]: msg.eventId,
        [EVENT_HEADER]: msg.event,
        // Zadig's names for the same facts, so receivers written for Zadig's webhook find them.
        'X-Zadig-Event': msg.event === 'notification' ? 'notification' : 'workflow',
        'X-Zadig-Event-UUID': msg.eventId,
      };
      if (cfg.token) headers[SIGNATURE_HEADER] = webhookSignature(cfg.token, body);
      return { channel: 'webhook', url: cfg.address, headers, body, secrets };
    }
    default:
      return undefined;
  }
}

/**
 * Whether a 2xx reply means delivered: Feishu answers `{code: 0}` (older bots `{StatusCode: 0}`),
 * DingTalk and WeCom `{errcode: 0}`; anything else, even with HTTP 200, is a failure. Returns the
 * vendor's error text otherwise.
 */
export function replyError(channel: Channel, text: string): string | undefined {
  // Teams answers 200 "1" (connectors) or 202 with no body (Workflows); any 2xx is accepted.
  if (channel === 'webhook' || channel === 'msteams') return undefined;
  let reply: Record<string, unknown>;
  try {
    reply = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return `unexpected reply: ${text.slice(0, 200)}`;
  }
  if (channel === 'feishu') {
    const code = reply['code'] ?? reply['StatusCode'];
    if (code === 0) return undefined;
    return `feishu code ${String(code)}: ${String(reply['msg'] ?? reply['StatusMessage'] ?? '')}`;
  }
  if (reply['errcode'] === 0) return undefined;
  return `${channel} errcode ${String(reply['errcode'])}: ${String(reply['errmsg'] ?? '')}`;
}
