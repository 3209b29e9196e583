import { constantTimeEqual } from '../signatures.js';
import {
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
  requestNumberOf,
} from './event.js';

/** GitLab sends the configured secret token as is in X-Gitlab-Token. */
export function verifyGitlab(headers: Headers, _rawBody: Buffer, secret: string): boolean {
  const token = header(headers, 'x-gitlab-token');
  return token !== undefined && constantTimeEqual(token, secret);
}

/**
 * GitLab 17.4+ sends `Idempotency-Key`, the same on every retry of one event (automatic or "Resend
 * request"). `X-Gitlab-Event-UUID` is not a delivery id: it is shared by the events one request
 * causes (a push that opens a merge request), and a resend gets a new one. Without the key, the
 * body's digest identifies the delivery: two different events never have the same body.
 */
export const gitlabDeliveryId = (headers: Headers) => header(headers, 'idempotency-key');

const MR_ACTIONS = new Set(['open', 'reopen', 'update']);

export function parseGitlab(headers: Headers, body: Loose): ParsedDelivery {
  const eventName = header(headers, 'x-gitlab-event') ?? '';
  const repo = splitRepoPath(textOf(body?.project?.path_with_namespace));
  if (!repo) return ignored(eventName, 'the payload names no project');
  const base = { source: 'gitlab' as const, repoOwner: repo.owner, repoName: repo.name, payload: body };

  if (eventName === 'Push Hook' || eventName === 'Tag Push Hook') {
    const sha = textOf(body.checkout_sha);
    if (!sha || ZERO_SHA.test(textOf(body.after))) {
      return ignored(eventName === 'Push Hook' ? 'push' : 'tag', 'the ref was deleted', repo);
    }
    const commits = listOf(body.commits);
    const head = commits.find((c: Loose) => c?.id === sha) ?? commits.at(-1);
    const commit = {
      commitId: sha,
      commitMessage: textOf(head?.message, body.message),
      committer: textOf(body.user_username, body.user_name, head?.author?.name),
    };
    return refPush(base, body.ref, commit, commits, repo);
  }

  if (eventName === 'Merge Request Hook') {
    const mr = body.object_attributes ?? {};
    if (!MR_ACTIONS.has(mr.action)) {
      return ignored('pull_request', `merge request action "${String(mr.action)}" does not trigger`, repo);
    }
    // An update without `oldrev` changed the title or labels, not the code.
    if (mr.action === 'update' && !mr.oldrev) {
      return ignored('pull_request', 'the merge request update carries no new commits', repo);
    }
    if (mr.state !== 'opened') return ignored('pull_request', 'the merge request is not open', repo);
    const number = requestNumberOf(mr.iid);
    if (number === undefined) return ignored('pull_request', 'the merge request has no number', repo);
    return {
      kind: 'event',
      event: {
        ...base,
        event: 'pull_request',
        branch: textOf(mr.source_branch),
        targetBranch: textOf(mr.target_branch),
        pr: number,
        commitId: textOf(mr.last_commit?.id),
        commitMessage: textOf(mr.last_commit?.message, mr.title),
        committer: textOf(body.user?.username, mr.last_commit?.author?.name),
      },
    };
  }
  return ignored(eventName || 'unknown', `GitLab event "${eventName}" does not trigger runs`, repo);
}
