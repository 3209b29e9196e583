import { constantTimeEqual, hmacSha256Base64 } from '../signatures.js';
import {
  githubStylePullRequest,
  header,
  ignored,
  listOf,
  refPush,
  splitRepoPath,
  ZERO_SHA,
  type Headers,
  type Loose,
  type ParsedDelivery,
  textOf,
} from './event.js';

/** Gitee's signing rule allows an hour of clock difference between its timestamp and ours. */
const GITEE_MAX_SKEW_MS = 60 * 60 * 1000;

/**
 * Gitee sends in X-Gitee-Token either the hook's password as is, or (signing secret) the signature
 * base64(HmacSHA256(secret, `${timestamp}\n${secret}`)) with the millisecond timestamp in
 * X-Gitee-Timestamp. Both are accepted; a signature older than an hour is not.
 */
export function verifyGitee(headers: Headers, _rawBody: Buffer, secret: string, now = Date.now()): boolean {
  const token = header(headers, 'x-gitee-token');
  if (token === undefined) return false;
  if (constantTimeEqual(token, secret)) return true;
  const timestamp = header(headers, 'x-gitee-timestamp');
  if (!timestamp || !/^\d+$/.test(timestamp) || Math.abs(now - Number(timestamp)) > GITEE_MAX_SKEW_MS) return false;
  return constantTimeEqual(token, hmacSha256Base64(secret, `${timestamp}\n${secret}`));
}

const PR_ACTIONS = new Set(['open', 'reopen', 'update']);

export function parseGitee(headers: Headers, body: Loose): ParsedDelivery {
  const eventName = header(headers, 'x-gitee-event') ?? '';
  const repo = splitRepoPath(textOf(body?.repository?.full_name, body?.project?.full_name));
  if (!repo) return ignored(eventName, 'the payload names no repository');
  const base = { source: 'gitee' as const, repoOwner: repo.owner, repoName: repo.name, payload: body };

  if (eventName === 'Push Hook' || eventName === 'Tag Push Hook') {
    const sha = textOf(body.after);
    if (body.deleted || !sha || ZERO_SHA.test(sha)) {
      return ignored(eventName === 'Push Hook' ? 'push' : 'tag', 'the ref was deleted', repo);
    }
    const head = body.head_commit ?? listOf(body.commits).at(-1);
    const commit = {
      commitId: sha,
      commitMessage: textOf(head?.message),
      committer: textOf(head?.committer?.username, head?.committer?.name, body.user_name, body.pusher?.name),
    };
    return refPush(base, body.ref, commit, body.commits, repo);
  }

  if (eventName === 'Merge Request Hook') {
    const pr = body.pull_request ?? {};
    const action = textOf(body.action);
    if (!PR_ACTIONS.has(action))
      return ignored('pull_request', `pull request action "${action}" does not trigger`, repo);
    if (action === 'update' && body.action_desc && body.action_desc !== 'source_branch_changed') {
      return ignored('pull_request', 'the pull request update carries no new commits', repo);
    }
    if (pr.state !== 'open') return ignored('pull_request', 'the pull request is not open', repo);
    return githubStylePullRequest(base, pr, body.sender);
  }
  return ignored(eventName || 'unknown', `Gitee event "${eventName}" does not trigger runs`, repo);
}
