import type { GitEvent } from './git/event.js';

/**
 * Keys whose values are credentials in some provider's payload (Gitee echoes `password` and `sign`), or
 * that name one the way senders of generic webhooks do (`access_token`, `client_secret`, `apiKey`).
 */
const SECRET_KEY = /^sign$|password|passwd|secret|token|signature|authorization|api_?key|credential/i;
/** A delivery's variables travel in the run input; big payloads are cut rather than bloating it. */
const MAX_VARIABLES = 500;
const MAX_VALUE_LENGTH = 4096;

/**
 * Flattens a webhook body into `payload.<path>` render variables (`payload.repository.name`,
 * `payload.commits.0.id`), leaving out credential-looking keys and capping count and length.
 */
export function flattenPayload(body: unknown, prefix = 'payload'): Record<string, string> {
  const out: Record<string, string> = {};
  let count = 0;
  const walk = (value: unknown, path: string) => {
    if (count >= MAX_VARIABLES) return;
    if (value === null || value === undefined) return;
    if (typeof value === 'object') {
      for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
        if (SECRET_KEY.test(key)) continue;
        walk(child, `${path}.${key}`);
      }
      return;
    }
    out[path] = truncate(String(value), MAX_VALUE_LENGTH);
    count++;
  };
  walk(body, prefix);
  return out;
}

/** At most `max` UTF-16 units, never half of a surrogate pair: PostgreSQL refuses a lone one. */
function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const high = text.charCodeAt(max - 1);
  return text.slice(0, high >= 0xd800 && high <= 0xdbff ? max - 1 : max);
}

/** `payload.trigger.*`: the provider-independent facts of a git event. */
export function gitTriggerVariables(event: GitEvent): Record<string, string> {
  return {
    'payload.trigger.event': event.event,
    'payload.trigger.source': event.source,
    'payload.trigger.repo': `${event.repoOwner}/${event.repoName}`,
    'payload.trigger.branch': event.branch,
    'payload.trigger.target_branch': event.targetBranch,
    'payload.trigger.tag': event.tag ?? '',
    'payload.trigger.pr': event.pr === undefined ? '' : String(event.pr),
    'payload.trigger.commit_id': event.commitId,
    'payload.trigger.commit_message': event.commitMessage,
    'payload.trigger.committer': event.committer,
  };
}
