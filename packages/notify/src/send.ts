import { maskSecrets } from '@stagecoach/platform';
import { replyError, type PreparedRequest } from './request.js';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Delay after the first failed attempt; doubles after each further one. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Per-attempt timeout. */
  timeoutMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  maxAttempts: 5,
  baseDelayMs: 1000,
  maxDelayMs: 30_000,
  timeoutMs: 10_000,
});

/** Delay before attempt `failedAttempts + 1`: base·2^(n−1), capped; a longer Retry-After wins (capped too). */
export function backoffDelay(policy: RetryPolicy, failedAttempts: number, retryAfterMs?: number): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, failedAttempts - 1));
  return Math.min(policy.maxDelayMs, Math.max(exp, retryAfterMs ?? 0));
}

/** Network errors (no status), 5xx and 429 are worth another try; any other 4xx is not. */
export function isRetryableStatus(status: number | undefined): boolean {
  return status === undefined || status >= 500 || status === 429;
}

export interface DeliveryResult {
  ok: boolean;
  attempts: number;
  /** Last HTTP status, if any reply came. */
  status?: number;
  /** Why it failed, secrets masked. */
  error?: string;
}

/** A delivery that was never tried: nothing to send, or nothing to send it with. */
export const refusedDelivery = (error: string): DeliveryResult => ({ ok: false, attempts: 0, error });

export interface SendDeps {
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  policy?: RetryPolicy;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** What went wrong below HTTP: a timeout, or the socket's error code. */
export function networkReason(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return 'network error: timed out';
  return `network error: ${e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err)}`;
}

/** One try of a delivery: its result, and whether another try could do better. */
export interface Attempt {
  result: DeliveryResult;
  retryable: boolean;
  retryAfterMs?: number;
}

/** Tries up to the policy's attempts with exponential backoff; the last attempt's result stands. */
export async function withRetries(
  attempt: (n: number, policy: RetryPolicy) => Promise<Attempt>,
  deps: SendDeps = {},
): Promise<DeliveryResult> {
  const sleep = deps.sleep ?? defaultSleep;
  const policy = deps.policy ?? DEFAULT_RETRY_POLICY;
  let last: DeliveryResult = { ok: false, attempts: 0 };
  for (let n = 1; n <= policy.maxAttempts; n++) {
    const tried = await attempt(n, policy);
    last = tried.result;
    if (last.ok || !tried.retryable || n === policy.maxAttempts) return last;
    await sleep(backoffDelay(policy, n, tried.retryAfterMs));
  }
  return last;
}

/** Sends with retries and exponential backoff; never throws; error texts carry no secret of the request. */
export function sendWithRetry(req: PreparedRequest, deps: SendDeps = {}): Promise<DeliveryResult> {
  const doFetch = deps.fetch ?? fetch;
  return withRetries(async (attempt, policy) => {
    let status: number | undefined;
    try {
      const res = await doFetch(req.url, {
        method: 'POST',
        headers: req.headers,
        body: req.body,
        signal: AbortSignal.timeout(policy.timeoutMs),
      });
      status = res.status;
      const text = await res.text();
      if (res.ok) {
        const vendorError = replyError(req.channel, text);
        if (vendorError === undefined) return { result: { ok: true, attempts: attempt, status }, retryable: false };
        // A vendor error code in a 200 (bad signature, keyword mismatch, ...) will not change on a retry.
        const error = maskSecrets(vendorError, req.secrets);
        return { result: { ok: false, attempts: attempt, status, error }, retryable: false };
      }
      const seconds = Number(res.headers.get('retry-after'));
      const error = maskSecrets(`HTTP ${status}: ${text.slice(0, 300)}`, req.secrets);
      return {
        result: { ok: false, attempts: attempt, status, error },
        retryable: isRetryableStatus(status),
        ...(Number.isFinite(seconds) && seconds > 0 ? { retryAfterMs: seconds * 1000 } : {}),
      };
    } catch (err) {
      const error = maskSecrets(networkReason(err), req.secrets);
      return { result: { ok: false, attempts: attempt, error }, retryable: isRetryableStatus(status) };
    }
  }, deps);
}
