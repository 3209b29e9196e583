import { and, asc, eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client.js';
import { projectMembers, users, workflowGrants, type ProjectRole, type WorkflowGrantVerb } from '../schema/index.js';

/** What one person holds in one project: a role (or none) and per-workflow verbs. */
export interface ProjectAccess {
  role: ProjectRole | null;
  grants: Map<string, readonly WorkflowGrantVerb[]>;
}

/** One round trip: the role and every workflow grant of a user in a project. */
export async function projectAccessOf(db: DbOrTx, userId: string, project: string): Promise<ProjectAccess> {
  const [roles, grants] = await Promise.all([
    db
      .select({ role: projectMembers.role })
      .from(projectMembers)
      .where(and(eq(projectMembers.userId, userId), eq(projectMembers.project, project))),
    db
      .select({ workflow: workflowGrants.workflow, verbs: workflowGrants.verbs })
      .from(workflowGrants)
      .where(and(eq(workflowGrants.userId, userId), eq(workflowGrants.project, project))),
  ]);
  return { role: roles[0]?.role ?? null, grants: new Map(grants.map((g) => [g.workflow, g.verbs])) };
}

/**
 * Projects where the user has a role or a workflow grant: any grant, or with `workflow`, a grant on that
 * workflow only (the projects where the user may see it).
 */
export async function projectsVisibleTo(db: DbOrTx, userId: string, workflow?: string): Promise<Set<string>> {
  const grantsOf = workflow === undefined ? sql`` : sql` AND workflow = ${workflow}`;
  const rows = await db.execute<{ project: string }>(sql`
    SELECT project FROM ${projectMembers} WHERE user_id = ${userId}
    UNION SELECT project FROM ${workflowGrants} WHERE user_id = ${userId}${grantsOf}`);
  return new Set(rows.rows.map((r) => r.project));
}

export interface MemberView {
  username: string;
  role: ProjectRole;
  grantedBy: string;
  grantedAt: Date;
}

export function listProjectMembers(db: DbOrTx, project: string): Promise<MemberView[]> {
  return db
    .select({
      username: users.username,
      role: projectMembers.role,
      grantedBy: projectMembers.grantedBy,
      grantedAt: projectMembers.grantedAt,
    })
    .from(projectMembers)
    .innerJoin(users, eq(users.id, projectMembers.userId))
    .where(eq(projectMembers.project, project))
    .orderBy(asc(users.username));
}

export async function setProjectRole(
  db: DbOrTx,
  input: { project: string; userId: string; role: ProjectRole; grantedBy: string },
): Promise<void> {
  await db
    .insert(projectMembers)
    .values(input)
    .onConflictDoUpdate({
      target: [projectMembers.project, projectMembers.userId],
      set: { role: input.role, grantedBy: input.grantedBy, grantedAt: new Date() },
    });
}

/** Whether there was a role to remove. */
export async function removeProjectRole(db: DbOrTx, project: string, userId: string): Promise<boolean> {
  const removed = await db
    .delete(projectMembers)
    .where(and(eq(projectMembers.project, project), eq(projectMembers.userId, userId)))
    .returning({ userId: projectMembers.userId });
  return removed.length > 0;
}

export interface GrantView {
  username: string;
  verbs: WorkflowGrantVerb[];
  grantedBy: string;
  grantedAt: Date;
}

export function listWorkflowGrants(db: DbOrTx, project: string, workflow: string): Promise<GrantView[]> {
  return db
    .select({
      username: users.username,
      verbs: workflowGrants.verbs,
      grantedBy: workflowGrants.grantedBy,
      grantedAt: workflowGrants.grantedAt,
    })
    .from(workflowGrants)
    .innerJoin(users, eq(users.id, workflowGrants.userId))
    .where(and(eq(workflowGrants.project, project), eq(workflowGrants.workflow, workflow)))
    .orderBy(asc(users.username));
}

export async function setWorkflowGrant(
  db: DbOrTx,
  input: { project: string; workflow: string; userId: string; verbs: WorkflowGrantVerb[]; grantedBy: string },
): Promise<void> {
  await db
    .insert(workflowGrants)
    .values(input)
    .onConflictDoUpdate({
      target: [workflowGrants.project, workflowGrants.workflow, workflowGrants.userId],
      set: { verbs: input.verbs, grantedBy: input.grantedBy, grantedAt: new Date() },
    });
}

export async function removeWorkflowGrant(
  db: DbOrTx,
  input: { project: string; workflow: string; userId: string },
): Promise<boolean> {
  const removed = await db
    .delete(workflowGrants)
    .where(
      and(
        eq(workflowGrants.project, input.project),
        eq(workflowGrants.workflow, input.workflow),
        eq(workflowGrants.userId, input.userId),
      ),
    )
    .returning({ userId: workflowGrants.userId });
  return removed.length > 0;
}
