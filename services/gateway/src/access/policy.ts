import type { ProjectAccess, ProjectRole, WorkflowGrantVerb } from '@stagecoach/db';

/**
 * What a route asks of the caller in a project: a workflow verb (Zadig's view/edit/run/rollback/
 * debug; `edit` also covers create and delete, as Zadig's handlers check it) or `manage`, the
 * project admin's own business (views, members, grants).
 */
export type Verb = WorkflowGrantVerb | 'manage';

/** Zadig §6.2: project admin has every verb; member views and runs; viewer views. */
const ROLE_VERBS: Record<ProjectRole, ReadonlySet<Verb>> = {
  admin: new Set<Verb>(['view', 'edit', 'run', 'rollback', 'debug', 'manage']),
  member: new Set<Verb>(['view', 'run']),
  viewer: new Set<Verb>(['view']),
};

/** Which of a project's workflows the caller may see: all, or those granted one by one. */
export type Visibility = { all: true } | { all: false; workflows: ReadonlySet<string> };

export const SEES_ALL: Visibility = { all: true };

/**
 * Whether `access` allows `verb`: by the project role, or, for one workflow, by a grant on it.
 * Without a workflow, `view` is also allowed to someone holding view grants, who then sees only
 * those workflows (Zadig's listing rule). Returns what the caller sees, or null when refused.
 */
export function decide(access: ProjectAccess, verb: Verb, workflow: string | undefined): Visibility | null {
  if (access.role && ROLE_VERBS[access.role].has(verb)) return SEES_ALL;
  if (verb === 'manage') return null;
  if (workflow !== undefined) return access.grants.get(workflow)?.includes(verb) ? SEES_ALL : null;
  if (verb !== 'view') return null;
  const viewable = [...access.grants].filter(([, verbs]) => verbs.includes('view')).map(([name]) => name);
  return viewable.length > 0 ? { all: false, workflows: new Set(viewable) } : null;
}

export const canSee = (visibility: Visibility, workflow: string) =>
  visibility.all || visibility.workflows.has(workflow);
