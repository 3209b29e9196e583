import { constantTimeEqual, verifySha256Header } from './signatures.js';
import type { Headers, Loose } from './git/event.js';
import { header } from './git/event.js';
import type { Match } from './git/match.js';

/** Zadig's WorkflowV4JiraHook fields, plus where and as whom to comment (the token is sealed apart). */
export interface JiraConfig {
  jira_url: string;
  /** set for Jira Cloud (basic auth with an API token); absent: the token is a Data Center PAT */
  jira_user?: string;
  enabled_issue_status_change?: boolean;
  from_status?: { id: string; name?: string };
  to_status?: { id: string; name?: string };
}

/** Zadig's "any status" id in from/to filters. */
export const ANY_STATUS = '000000';

/**
 * Jira cannot sign a webhook created in its system settings, but its URL may carry a query
 * parameter: `?token=<secret>`. Jira Cloud webhooks registered with a secret sign the body in
 * X-Hub-Signature (`sha256=<hex>`); either proves the sender.
 */
export function verifyJira(headers: Headers, rawBody: Buffer, token: string | undefined, secret: string): boolean {
  if (token !== undefined) return constantTimeEqual(token, secret);
  return verifySha256Header(secret, rawBody, header(headers, 'x-hub-signature'));
}

/** Jira Cloud's X-Atlassian-Webhook-Identifier is the same on every retry of one delivery. */
export const jiraDeliveryId = (headers: Headers) => header(headers, 'x-atlassian-webhook-identifier');

export function matchJira(config: JiraConfig, body: Loose): Match {
  if (body?.webhookEvent !== 'jira:issue_updated') {
    return { ok: false, reason: `event ${String(body?.webhookEvent)} is not jira:issue_updated` };
  }
  if (!body.issue?.key) return { ok: false, reason: 'the payload names no issue' };
  if (!config.enabled_issue_status_change) return { ok: true };
  const change = (body.changelog?.items ?? []).find((item: Loose) => item.field === 'status');
  if (!change) return { ok: false, reason: 'the update did not change the status' };
  const fits = (wanted: string | undefined, actual: unknown) => wanted === ANY_STATUS || wanted === String(actual);
  if (!fits(config.from_status?.id, change.from) || !fits(config.to_status?.id, change.to)) {
    return {
      ok: false,
      reason: `status change ${String(change.fromString ?? change.from)} → ${String(change.toString ?? change.to)} is not the one the trigger waits for`,
    };
  }
  return { ok: true };
}

export interface JiraCommentTarget {
  jiraUrl: string;
  user?: string;
  token: string;
  issueKey: string;
}

/** Jira REST v2 "add comment": POST /rest/api/2/issue/{key}/comment {body}. */
export async function postJiraComment(target: JiraCommentTarget, text: string): Promise<void> {
  const auth = target.user
    ? `Basic ${Buffer.from(`${target.user}:${target.token}`).toString('base64')}`
    : `Bearer ${target.token}`;
  const url = `${target.jiraUrl.replace(/\/$/, '')}/rest/api/2/issue/${encodeURIComponent(target.issueKey)}/comment`;
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: auth },
    body: JSON.stringify({ body: text }),
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw new Error(`Jira answered HTTP ${res.status} to the comment on ${target.issueKey}`);
}
