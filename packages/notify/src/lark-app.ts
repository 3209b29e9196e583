import { createHash } from 'node:crypto';
import { maskSecrets } from '@stagecoach/platform';
import { isRetryableStatus, networkReason, withRetries, type DeliveryResult, type SendDeps } from './send.js';

/** A Feishu/Lark self-built app, as registered in the installation (secret unsealed). */
export interface LarkApp {
  appId: string;
  appSecret: string;
  /** Open API base, e.g. https://open.feishu.cn */
  baseUrl: string;
}

/** Finds a registered app by the key notify ctls name it by (`app_id`). */
export type LarkAppDirectory = (key: string) => Promise<LarkApp | undefined>;

/** Who a message goes to, in Feishu's terms (`receive_id_type`). */
export interface LarkReceiver {
  id: string;
  idType: 'chat_id' | 'open_id' | 'user_id' | 'union_id' | 'email';
}

/** Codes meaning the tenant_access_token is missing, invalid or expired: fetch a new one and try again. */
const TOKEN_CODES = new Set([99991661, 99991663, 99991668]);
/** Feishu's "too many requests" code, answered with HTTP 200 or 429. */
const RATE_LIMITED = 99991400;
/** Renew this long before Feishu's stated expiry, so a token never dies in flight. */
const RENEW_MARGIN_MS = 5 * 60_000;

interface CachedToken {
  token: string;
  expiresAt: number;
}

class LarkReplyError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
  ) {
    super(message);
  }
}

async function readReply(res: Response): Promise<Record<string, unknown>> {
  const text = await res.text();
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new LarkReplyError(`HTTP ${res.status}: ${text.slice(0, 200)}`, isRetryableStatus(res.status), res.status);
  }
}

/**
 * tenant_access_token per app (auth/v3/tenant_access_token/internal), kept until shortly before it
 * expires; one shared cache per process, so a burst of messages asks for one token.
 */
export class LarkTokens {
  private readonly cache = new Map<string, CachedToken>();

  constructor(private readonly now: () => number = Date.now) {}

  async get(app: LarkApp, doFetch: typeof fetch, timeoutMs: number): Promise<string> {
    const key = `${app.baseUrl}|${app.appId}`;
    const cached = this.cache.get(key);
    if (cached && cached.expiresAt > this.now()) return cached.token;
    const res = await doFetch(`${app.baseUrl}/open-apis/auth/v3/tenant_access_token/internal`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ app_id: app.appId, app_secret: app.appSecret }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const reply = await readReply(res);
    if (!res.ok || reply['code'] !== 0 || typeof reply['tenant_access_token'] !== 'string') {
      // A wrong app secret will not get better; a busy or rate-limited server may.
      const retryable = res.ok ? reply['code'] === RATE_LIMITED : isRetryableStatus(res.status);
      const message = `feishu token code ${String(reply['code'])}: ${String(reply['msg'] ?? '')}`;
      throw new LarkReplyError(message, retryable, res.status);
    }
    const expireSeconds = typeof reply['expire'] === 'number' ? reply['expire'] : 7200;
    const token = reply['tenant_access_token'];
    this.cache.set(key, { token, expiresAt: this.now() + expireSeconds * 1000 - RENEW_MARGIN_MS });
    return token;
  }

  invalidate(app: LarkApp): void {
    this.cache.delete(`${app.baseUrl}|${app.appId}`);
  }
}

/**
 * Feishu's request de-duplication key (`uuid`, at most 50 characters): the same event to the same
 * receiver is at most one message within an hour, so a resend after a crash is not a second message.
 */
export const larkMessageUuid = (eventId: string, to: LarkReceiver) =>
  createHash('sha256').update(`${eventId}|${to.idType}:${to.id}`).digest('hex').slice(0, 40);

export interface LarkSendDeps extends SendDeps {
  tokens: LarkTokens;
}

/**
 * Sends an interactive card as the app (im/v1/messages), retrying network errors, 5xx, rate limits
 * and an expired token (fetched anew); never throws, and error texts carry neither the app secret nor
 * the token.
 */
export function sendLarkCard(
  app: LarkApp,
  to: LarkReceiver,
  card: Record<string, unknown>,
  uuid: string,
  deps: LarkSendDeps,
): Promise<DeliveryResult> {
  const doFetch = deps.fetch ?? fetch;
  const secrets: string[] = [app.appSecret];
  return withRetries(async (attempt, policy) => {
    try {
      const token = await deps.tokens.get(app, doFetch, policy.timeoutMs);
      secrets.push(token);
      const url = `${app.baseUrl}/open-apis/im/v1/messages?receive_id_type=${to.idType}`;
      const res = await doFetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8', authorization: `Bearer ${token}` },
        body: JSON.stringify({ receive_id: to.id, msg_type: 'interactive', content: JSON.stringify(card), uuid }),
        signal: AbortSignal.timeout(policy.timeoutMs),
      });
      const reply = await readReply(res);
      const code = reply['code'];
      if (res.ok && code === 0)
        return { result: { ok: true, attempts: attempt, status: res.status }, retryable: false };
      // Feishu answers a dead token with HTTP 400 and one of these codes: a new token fixes it.
      const staleToken = typeof code === 'number' && TOKEN_CODES.has(code);
      if (staleToken) deps.tokens.invalidate(app);
      const retryable = staleToken || code === RATE_LIMITED || (!res.ok && isRetryableStatus(res.status));
      const error = maskSecrets(`feishu code ${String(code)}: ${String(reply['msg'] ?? '')}`, secrets);
      return { result: { ok: false, attempts: attempt, status: res.status, error }, retryable };
    } catch (err) {
      if (err instanceof LarkReplyError) {
        const error = maskSecrets(err.message, secrets);
        return {
          result: { ok: false, attempts: attempt, ...(err.status ? { status: err.status } : {}), error },
          retryable: err.retryable,
        };
      }
      return {
        result: { ok: false, attempts: attempt, error: maskSecrets(networkReason(err), secrets) },
        retryable: true,
      };
    }
  }, deps);
}
