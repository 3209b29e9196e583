import { and, asc, eq, inArray } from 'drizzle-orm';
import { ConflictError } from '@stagecoach/platform';
import type { DbOrTx } from '../client.js';
import { PG_UNIQUE_VIOLATION, pgErrorCode } from '../pg-errors.js';
import { views, viewWorkflows, workflows, type ViewRow, type WorkflowRow } from '../schema/index.js';

export function listViews(db: DbOrTx, project: string): Promise<ViewRow[]> {
  return db.select().from(views).where(eq(views.project, project)).orderBy(asc(views.name));
}

export async function getView(db: DbOrTx, project: string, name: string): Promise<ViewRow | undefined> {
  const [row] = await db
    .select()
    .from(views)
    .where(and(eq(views.project, project), eq(views.name, name)));
  return row;
}

/** Workflows of a view, by name. */
export function listViewWorkflows(db: DbOrTx, viewId: string): Promise<WorkflowRow[]> {
  return db
    .select({ workflow: workflows })
    .from(viewWorkflows)
    .innerJoin(workflows, eq(workflows.id, viewWorkflows.workflowId))
    .where(eq(viewWorkflows.viewId, viewId))
    .orderBy(asc(workflows.name))
    .then((rows) => rows.map((r) => r.workflow));
}

export async function createView(db: DbOrTx, input: { project: string; name: string; user: string }): Promise<ViewRow> {
  try {
    const [row] = await db
      .insert(views)
      .values({ project: input.project, name: input.name, updatedBy: input.user })
      .returning();
    return row!;
  } catch (err) {
    if (pgErrorCode(err) === PG_UNIQUE_VIOLATION) throw new ConflictError(`view "${input.name}" already exists`);
    throw err;
  }
}

export async function renameView(db: DbOrTx, id: string, name: string, user: string): Promise<void> {
  try {
    await db.update(views).set({ name, updatedBy: user, updatedAt: new Date() }).where(eq(views.id, id));
  } catch (err) {
    if (pgErrorCode(err) === PG_UNIQUE_VIOLATION) throw new ConflictError(`view "${name}" already exists`);
    throw err;
  }
}

/** Makes the view hold exactly these workflows. */
export async function setViewWorkflows(db: DbOrTx, viewId: string, workflowIds: number[]): Promise<void> {
  await db.delete(viewWorkflows).where(eq(viewWorkflows.viewId, viewId));
  if (workflowIds.length > 0) {
    await db.insert(viewWorkflows).values(workflowIds.map((workflowId) => ({ viewId, workflowId })));
  }
}

export async function addWorkflowToView(db: DbOrTx, viewId: string, workflowId: number): Promise<void> {
  await db.insert(viewWorkflows).values({ viewId, workflowId }).onConflictDoNothing();
}

export async function deleteView(db: DbOrTx, id: string): Promise<void> {
  await db.delete(views).where(eq(views.id, id));
}

/** The project's workflows with these names; the caller compares lengths to find unknown names. */
export function workflowsNamed(db: DbOrTx, project: string, names: string[]): Promise<WorkflowRow[]> {
  if (names.length === 0) return Promise.resolve([]);
  return db
    .select()
    .from(workflows)
    .where(and(eq(workflows.project, project), inArray(workflows.name, names)));
}
