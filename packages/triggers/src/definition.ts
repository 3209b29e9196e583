import type { TriggerKind } from '@stagecoach/db';
import type { SpecIssue } from '@stagecoach/spec';
import { repoKey, type GitSource } from './git/event.js';
import { goRegexp, type MainRepo } from './git/match.js';
import { timerIssues, type TimerConfig } from './timer.js';

/** Per kind, the body fields that are credentials: sealed on save, never returned or logged. */
export const SECRET_FIELDS: Record<TriggerKind, readonly string[]> = {
  git: ['secret'],
  timer: [],
  jira: ['secret', 'jira_token'],
  meego: ['secret', 'plugin_token'],
  general: ['secret'],
};

/** Fields every kind has, kept in their own columns rather than in `config`. */
const COMMON_FIELDS = new Set(['name', 'enabled', 'params']);

export interface TriggerBody {
  name: string;
  enabled?: boolean;
  params?: Record<string, string>;
  [field: string]: unknown;
}

export interface NormalizedTrigger {
  name: string;
  enabled: boolean;
  params: Record<string, string>;
  config: Record<string, unknown>;
  secrets: Record<string, string>;
  repoKey: string | null;
}

/** The stored trigger a body replaces: its secrets and its config. */
export interface PreviousTrigger {
  secrets: Record<string, string>;
  config: Record<string, unknown>;
}

/**
 * Splits a trigger body into stored parts and checks what a schema cannot: regexes compile, timer
 * forms are complete, the secrets a kind needs are present (on update, a missing secret keeps the
 * stored one of `previous`).
 */
export function normalizeTrigger(
  kind: TriggerKind,
  body: TriggerBody,
  previous?: PreviousTrigger,
): { ok: true; trigger: NormalizedTrigger } | { ok: false; issues: SpecIssue[] } {
  const issues: SpecIssue[] = [];
  const config: Record<string, unknown> = {};
  const secrets: Record<string, string> = { ...previous?.secrets };
  for (const [field, value] of Object.entries(body)) {
    if (COMMON_FIELDS.has(field)) continue;
    if (SECRET_FIELDS[kind].includes(field)) {
      if (typeof value === 'string' && value !== '') secrets[field] = value;
    } else config[field] = value;
  }
  // Every inbound hook is authenticated (Zadig's general hook is not; ours is).
  if (kind !== 'timer' && !secrets.secret) issues.push({ path: 'secret', message: 'a webhook secret is required' });

  let key: string | null = null;
  if (kind === 'git') {
    const repo = config.main_repo as MainRepo;
    key = repoKey(repo.source as GitSource, repo.repo_owner, repo.repo_name);
    const patterns: [string, string | undefined, boolean | undefined][] = [
      ['branch', repo.branch, repo.is_regular],
      ['push_branch', repo.push_branch, repo.push_is_regular ?? repo.is_regular],
      ['pr_branch', repo.pr_branch, repo.pr_is_regular ?? repo.is_regular],
      ['tag', repo.tag, repo.tag_is_regular],
    ];
    for (const [field, pattern, regular] of patterns) {
      if (!regular || !pattern) continue;
      try {
        goRegexp(pattern);
      } catch (err) {
        issues.push({
          path: `main_repo.${field}`,
          message: `not a valid regular expression: ${(err as Error).message}`,
        });
      }
    }
  }
  if (kind === 'timer')
    issues.push(
      ...timerIssues(config as unknown as TimerConfig, new Date(), previous?.config as TimerConfig | undefined),
    );
  if (kind === 'jira' && config.enabled_issue_status_change) {
    for (const field of ['from_status', 'to_status'] as const) {
      const status = config[field] as { id?: string } | undefined;
      if (!status?.id)
        issues.push({ path: `${field}.id`, message: 'required when enabled_issue_status_change is set' });
    }
  }
  if (issues.length > 0) return { ok: false, issues };
  return {
    ok: true,
    trigger: {
      name: body.name,
      enabled: body.enabled ?? true,
      params: body.params ?? {},
      config,
      secrets,
      repoKey: key,
    },
  };
}
