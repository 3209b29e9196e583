import { constantTimeEqual } from './signatures.js';
import type { Loose } from './git/event.js';
import type { Match } from './git/match.js';

/** Zadig's WorkflowV4MeegoHook fields, plus the user the comment is posted as (plugin token sealed apart). */
export interface MeegoConfig {
  meego_url: string;
  user_key: string;
}

/**
 * Feishu Project webhooks carry `header.token`, the verification token configured with the hook,
 * and `header.uuid`, the event's id.
 */
export function verifyMeego(body: Loose, secret: string): boolean {
  const token = body?.header?.token;
  return typeof token === 'string' && constantTimeEqual(token, secret);
}

export const meegoDeliveryId = (body: Loose): string | undefined =>
  typeof body?.header?.uuid === 'string' ? body.header.uuid : undefined;

export interface MeegoWorkItem {
  projectKey: string;
  workItemTypeKey: string;
  workItemId: string;
}

export function meegoWorkItem(body: Loose): MeegoWorkItem | undefined {
  const p = body?.payload;
  if (!p?.project_key || !p?.work_item_type_key || p?.id === undefined) return undefined;
  return { projectKey: String(p.project_key), workItemTypeKey: String(p.work_item_type_key), workItemId: String(p.id) };
}

export function matchMeego(body: Loose): Match {
  return meegoWorkItem(body) ? { ok: true } : { ok: false, reason: 'the payload names no work item' };
}

export interface MeegoCommentTarget extends MeegoWorkItem {
  meegoUrl: string;
  pluginToken: string;
  userKey: string;
}

/** Feishu Project OpenAPI: POST /open_api/:project_key/work_item/:type/:id/comment/create {content}. */
export async function postMeegoComment(target: MeegoCommentTarget, text: string): Promise<void> {
  const path = [target.projectKey, 'work_item', target.workItemTypeKey, target.workItemId, 'comment', 'create']
    .map(encodeURIComponent)
    .join('/');
  const res = await fetch(`${target.meegoUrl.replace(/\/$/, '')}/open_api/${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'X-PLUGIN-TOKEN': target.pluginToken,
      'X-USER-KEY': target.userKey,
    },
    body: JSON.stringify({ content: text }),
    signal: AbortSignal.timeout(10_000),
  });
  const answer = (await res.json().catch(() => ({}))) as { err_code?: number; err_msg?: string };
  if (!res.ok || (answer.err_code ?? 0) !== 0) {
    throw new Error(`Feishu Project answered HTTP ${res.status} (err_code ${String(answer.err_code)}) to the comment`);
  }
}
