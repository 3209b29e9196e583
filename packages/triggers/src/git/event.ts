export type GitSource = 'github' | 'gitlab' | 'gitee';
export type GitEventType = 'push' | 'pull_request' | 'tag';

/** A provider's webhook reduced to what matching and the run need, whatever the provider. */
export interface GitEvent {
  source: GitSource;
  event: GitEventType;
  /** namespace path (GitLab groups may nest: `group/sub`) */
  repoOwner: string;
  repoName: string;
  /** push: the pushed branch; PR: the source branch; tag: empty */
  branch: string;
  /** PR: the target branch (what matching uses); push: the pushed branch */
  targetBranch: string;
  tag?: string;
  pr?: number;
  commitId: string;
  commitMessage: string;
  committer: string;
  /** files the push changed; undefined when the provider does not say (PR events) */
  changedFiles?: string[];
  /** the provider's body as received */
  payload: unknown;
}

/** What a provider parser makes of a delivery. */
export type ParsedDelivery =
  | { kind: 'ping' }
  | { kind: 'ignored'; event: string; reason: string; repo?: { owner: string; name: string } }
  | { kind: 'event'; event: GitEvent };

/** `group/sub/name` → owner `group/sub`, name `name`; undefined when there is no owner part. */
export function splitRepoPath(path: string): { owner: string; name: string } | undefined {
  const cut = path.lastIndexOf('/');
  if (cut <= 0) return undefined;
  return { owner: path.slice(0, cut), name: path.slice(cut + 1) };
}

export function repoKey(source: GitSource, owner: string, name: string): string {
  return `${source}:${owner}/${name}`.toLowerCase();
}

export type Headers = Record<string, string | string[] | undefined>;

export function header(headers: Headers, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

const BRANCH_PREFIX = 'refs/heads/';
const TAG_PREFIX = 'refs/tags/';
// Payloads are read before their signature is checked (the repository picks the secret): a field
// of the wrong type must read as absent, not throw.
export const branchOf = (ref: unknown) =>
  typeof ref === 'string' && ref.startsWith(BRANCH_PREFIX) ? ref.slice(BRANCH_PREFIX.length) : undefined;
export const tagOf = (ref: unknown) =>
  typeof ref === 'string' && ref.startsWith(TAG_PREFIX) ? ref.slice(TAG_PREFIX.length) : undefined;

/** A payload text field, or the first of several that holds text (or a number, as ids are); else ''. */
export function textOf(...values: unknown[]): string {
  for (const value of values) {
    if (typeof value === 'string') return value;
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  }
  return '';
}

/** A pull or merge request's number: a positive integer, or the digits of one; anything else reads as absent. */
export function requestNumberOf(value: unknown): number | undefined {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/** A payload field that should be a list, as one: anything else reads as an empty list. */
export const listOf = (value: unknown): Loose[] => (Array.isArray(value) ? value : []);
export const ZERO_SHA = /^0+$/;

/** Every path a push touched, from its commits' added/modified/removed lists (GitHub, GitLab, Gitee). */
export function pushedFiles(commits: unknown): string[] {
  const files = new Set<string>();
  for (const c of listOf(commits)) {
    for (const f of [...listOf(c?.added), ...listOf(c?.modified), ...listOf(c?.removed)]) {
      if (typeof f === 'string') files.add(f);
    }
  }
  return [...files];
}

/** A body field read defensively: providers omit fields freely and tests send real but trimmed payloads. */
export type Loose = any;

type EventBase = Pick<GitEvent, 'source' | 'repoOwner' | 'repoName' | 'payload'>;
type CommitFacts = Pick<GitEvent, 'commitId' | 'commitMessage' | 'committer'>;

export const ignored = (event: string, reason: string, repo?: { owner: string; name: string }): ParsedDelivery => ({
  kind: 'ignored',
  event,
  reason,
  ...(repo ? { repo } : {}),
});

/** A push of a branch or a tag (the ref says which), the same for every provider. */
export function refPush(
  base: EventBase,
  ref: unknown,
  commit: CommitFacts,
  commits: unknown,
  repo: { owner: string; name: string },
): ParsedDelivery {
  const tag = tagOf(ref);
  if (tag !== undefined)
    return { kind: 'event', event: { ...base, ...commit, event: 'tag', tag, branch: '', targetBranch: '' } };
  const branch = branchOf(ref);
  if (branch === undefined) return ignored('push', `unsupported ref ${String(ref)}`, repo);
  return {
    kind: 'event',
    event: { ...base, ...commit, event: 'push', branch, targetBranch: branch, changedFiles: pushedFiles(commits) },
  };
}

/** A pull request in the shape GitHub sends it and Gitee copies (`head`, `base`, `number`, `title`, `user`). */
export function githubStylePullRequest(base: EventBase, pr: Loose, sender: Loose): ParsedDelivery {
  const number = requestNumberOf(pr.number);
  if (number === undefined) {
    return ignored('pull_request', 'the pull request has no number', { owner: base.repoOwner, name: base.repoName });
  }
  return {
    kind: 'event',
    event: {
      ...base,
      event: 'pull_request',
      branch: textOf(pr.head?.ref),
      targetBranch: textOf(pr.base?.ref),
      pr: number,
      commitId: textOf(pr.head?.sha),
      commitMessage: textOf(pr.title),
      committer: textOf(pr.user?.login, sender?.login),
    },
  };
}
