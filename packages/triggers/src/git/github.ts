import { verifySha256Header } from '../signatures.js';
import {
  githubStylePullRequest,
  header,
  ignored,
  refPush,
  tagOf,
  type Headers,
  type Loose,
  type ParsedDelivery,
  textOf,
} from './event.js';

/** GitHub signs the raw body with HMAC-SHA256 in X-Hub-Signature-256. */
export function verifyGithub(headers: Headers, rawBody: Buffer, secret: string): boolean {
  return verifySha256Header(secret, rawBody, header(headers, 'x-hub-signature-256'));
}

export const githubDeliveryId = (headers: Headers) => header(headers, 'x-github-delivery');

const PR_ACTIONS = new Set(['opened', 'synchronize', 'reopened']);

export function parseGithub(headers: Headers, body: Loose): ParsedDelivery {
  const eventName = header(headers, 'x-github-event') ?? '';
  if (eventName === 'ping') return { kind: 'ping' };
  const repo = {
    owner: textOf(body?.repository?.owner?.login, body?.repository?.owner?.name),
    name: textOf(body?.repository?.name),
  };
  if (!repo.owner || !repo.name) return ignored(eventName, 'the payload names no repository');
  const base = { source: 'github' as const, repoOwner: repo.owner, repoName: repo.name, payload: body };

  if (eventName === 'push') {
    if (body.deleted) return ignored('push', 'the ref was deleted', repo);
    const head = body.head_commit;
    if (!head) return ignored('push', 'the push has no head commit', repo);
    if (tagOf(body.ref) !== undefined && !body.created) return ignored('tag', 'only tag creation triggers', repo);
    const commit = {
      commitId: textOf(head.id, body.after),
      commitMessage: textOf(head.message),
      committer: textOf(head.committer?.username, head.committer?.name, body.pusher?.name),
    };
    return refPush(base, body.ref, commit, body.commits, repo);
  }

  if (eventName === 'pull_request') {
    const pr = body.pull_request ?? {};
    if (!PR_ACTIONS.has(body.action)) {
      return ignored('pull_request', `pull request action "${String(body.action)}" does not trigger`, repo);
    }
    if (pr.state !== 'open') return ignored('pull_request', 'the pull request is not open', repo);
    return githubStylePullRequest(base, pr, body.sender);
  }
  // Tag creation also arrives as a push of refs/tags/..., which is the one acted on.
  return ignored(eventName || 'unknown', `GitHub event "${eventName}" does not trigger runs`, repo);
}
