import { constantTimeEqual, verifySha256Header } from './signatures.js';
import type { Headers, Loose } from './git/event.js';
import { header } from './git/event.js';

/** Our general hook's own fields: which body fields become which params. */
export interface GeneralConfig {
  /** param name → dotted path into the JSON body (`build.ref`) */
  param_mapping?: Record<string, string>;
}

/**
 * A general hook proves its sender with `X-Stagecoach-Signature-256: sha256=<hex HMAC of the body>`
 * or, for senders that cannot sign, `Authorization: Bearer <secret>`.
 */
export function verifyGeneral(headers: Headers, rawBody: Buffer, secret: string): boolean {
  const signature = header(headers, 'x-stagecoach-signature-256');
  if (signature !== undefined) return verifySha256Header(secret, rawBody, signature);
  const auth = header(headers, 'authorization') ?? '';
  return auth.startsWith('Bearer ') && constantTimeEqual(auth.slice('Bearer '.length), secret);
}

export const generalDeliveryId = (headers: Headers) => header(headers, 'idempotency-key');

/**
 * Reads the mapped params out of the body. Every mapped field must be present and a scalar: a
 * missing one is the sender's mistake and is answered 400, naming it.
 */
export function mapParams(
  mapping: Record<string, string> | undefined,
  body: Loose,
): { ok: true; params: Record<string, string> } | { ok: false; issues: { path: string; message: string }[] } {
  const params: Record<string, string> = {};
  const issues: { path: string; message: string }[] = [];
  for (const [param, path] of Object.entries(mapping ?? {})) {
    const value = path.split('.').reduce<Loose>((node, key) => (node == null ? undefined : node[key]), body);
    if (value === undefined || value === null)
      issues.push({ path: `body.${path}`, message: `required (maps to param ${param})` });
    else if (typeof value === 'object')
      issues.push({ path: `body.${path}`, message: `must be a string, number or boolean (maps to param ${param})` });
    else params[param] = String(value);
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, params };
}
