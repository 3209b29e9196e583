import { extname } from 'node:path/posix';
import { RE2JS } from 're2js';
import type { GitEvent, GitEventType, GitSource } from './event.js';

/** Zadig's MainHookRepo, as a git trigger stores it. */
export interface MainRepo {
  source: GitSource;
  repo_owner: string;
  repo_name: string;
  branch?: string;
  is_regular?: boolean;
  push_branch?: string;
  push_is_regular?: boolean;
  pr_branch?: string;
  pr_is_regular?: boolean;
  tag?: string;
  tag_is_regular?: boolean;
  events: GitEventType[];
  match_folders?: string[];
}

export type Match = { ok: true } | { ok: false; reason: string };

/**
 * Compiles a Zadig branch or tag pattern as Go does: RE2 syntax (`(?i)`, `\pL`; no lookaround or
 * backreferences), matched in time linear in the ref name, so no pattern can stall webhook intake on a
 * crafted ref. Throws on a pattern Go refuses, with Go's message.
 */
export function goRegexp(pattern: string): RE2JS {
  return RE2JS.compile(pattern);
}

/** Used with MatchString, as in Zadig: unanchored, so `release` also matches `release/1.2` unless the pattern anchors itself. */
function matchesPattern(value: string, pattern: string, regular: boolean | undefined): boolean {
  return regular ? goRegexp(pattern).matcher(value).find() : value === pattern;
}

/** The branch rule for one event type: the per-event override when set, else the common `branch`. */
function branchRule(repo: MainRepo, event: GitEventType): { pattern: string; regular: boolean } {
  const override = event === 'push' ? repo.push_branch : event === 'pull_request' ? repo.pr_branch : undefined;
  if (override) {
    const regular = event === 'push' ? repo.push_is_regular : repo.pr_is_regular;
    return { pattern: override, regular: regular ?? repo.is_regular ?? false };
  }
  return { pattern: repo.branch ?? '', regular: repo.is_regular ?? false };
}

/**
 * Zadig's match_folders: entries are path prefixes (`/` is everything) and `!` entries exclude by
 * prefix, suffix or `*.ext` extension. A change set matches when one file is included and not
 * excluded; an empty change set (an empty commit) always matches; no entries means everything.
 */
export function matchFolders(files: readonly string[] | undefined, folders: readonly string[] | undefined): boolean {
  if (!folders || folders.length === 0 || !files || files.length === 0) return true;
  const includes = folders.filter((f) => !f.startsWith('!'));
  const excludes = folders.filter((f) => f.startsWith('!')).map((f) => f.slice(1));
  const included = (file: string) =>
    includes.length === 0 || includes.some((inc) => inc === '/' || file.startsWith(inc.replace(/^\/+/, '')));
  const excluded = (file: string) =>
    excludes.some((exc) => {
      const e = exc.replace(/^\/+/, '');
      if (e.startsWith('*.')) return extname(file) === e.slice(1);
      return file.startsWith(e) || file.endsWith(e);
    });
  return files.some((file) => included(file) && !excluded(file));
}

/** Whether a git trigger fires for an event, and when not, why (recorded with the delivery). */
export function matchGitTrigger(repo: MainRepo, event: GitEvent): Match {
  if (repo.source !== event.source)
    return { ok: false, reason: `the trigger watches ${repo.source}, not ${event.source}` };
  if (
    repo.repo_owner.toLowerCase() !== event.repoOwner.toLowerCase() ||
    repo.repo_name.toLowerCase() !== event.repoName.toLowerCase()
  ) {
    return {
      ok: false,
      reason: `repository ${event.repoOwner}/${event.repoName} is not ${repo.repo_owner}/${repo.repo_name}`,
    };
  }
  if (!repo.events.includes(event.event))
    return { ok: false, reason: `event ${event.event} is not among ${repo.events.join(', ')}` };

  if (event.event === 'tag') {
    if (repo.tag && !matchesPattern(event.tag ?? '', repo.tag, repo.tag_is_regular)) {
      return { ok: false, reason: `tag ${event.tag} does not match ${repo.tag}` };
    }
  } else {
    const rule = branchRule(repo, event.event);
    if (rule.pattern && !matchesPattern(event.targetBranch, rule.pattern, rule.regular)) {
      const which = event.event === 'pull_request' ? 'target branch' : 'branch';
      return { ok: false, reason: `${which} ${event.targetBranch} does not match ${rule.pattern}` };
    }
  }
  if (!matchFolders(event.changedFiles, repo.match_folders)) {
    return { ok: false, reason: `no changed file matches ${repo.match_folders!.join(', ')}` };
  }
  return { ok: true };
}
