import { ConflictError, NotFoundError } from '@stagecoach/platform';
import type { WorkflowDefinition } from '@stagecoach/spec';
import { and, asc, desc, eq, sql } from 'drizzle-orm';
import type { DbOrTx, Tx } from '../client.js';
import { PG_FOREIGN_KEY_VIOLATION, pgErrorCode } from '../pg-errors.js';
import {
  projects,
  runs,
  workflows,
  workflowVersions,
  type WorkflowRow,
  type WorkflowVersionRow,
} from '../schema/index.js';

export interface UpsertWorkflowInput {
  project: string;
  /** The workflow key; `definition.name` is not trusted for it because callers address by URL. */
  name: string;
  definition: WorkflowDefinition;
  /** Who saves: recorded as created_by on insert, updated_by always, and on the version row. */
  user: string;
  /**
   * Optimistic concurrency: the version the caller edited. 0 means "must not exist yet".
   * A mismatch throws ConflictError so two editors cannot silently overwrite each other.
   */
  expectedVersion?: number;
}

/**
 * Inserts or updates a workflow and records the saved definition as a new version, in one
 * transaction: a version row never exists without its workflow state and vice versa.
 * Columns mirrored from the definition (display name, disabled, concurrency limit) follow it.
 */
export function upsertWorkflow(db: DbOrTx, input: UpsertWorkflowInput): Promise<WorkflowRow> {
  const { project, name, definition, user, expectedVersion } = input;
  const mirrored = {
    displayName: definition.display_name || name,
    definition,
    disabled: definition.disabled ?? false,
    concurrencyLimit:
      definition.concurrency_limit && definition.concurrency_limit > 0 ? definition.concurrency_limit : -1,
  };
  // Runs outlive a deleted workflow (they stay listed under its key), so a workflow created again under
  // that key numbers its runs on from the last one instead of colliding with run 1.
  const created = {
    ...mirrored,
    createdBy: user,
    updatedBy: user,
    nextRunNumber: sql`(select coalesce(max(${runs.runNumber}), 0) + 1 from ${runs} where ${runs.project} = ${project} and ${runs.workflow} = ${name})`,
  };
  return db.transaction(async (tx) => {
    let row: WorkflowRow | undefined;
    try {
      if (expectedVersion === 0) {
        [row] = await tx
          .insert(workflows)
          .values({ project, name, ...created })
          .onConflictDoNothing({ target: [workflows.project, workflows.name] })
          .returning();
      } else {
        [row] = await tx
          .insert(workflows)
          .values({ project, name, ...created })
          .onConflictDoUpdate({
            target: [workflows.project, workflows.name],
            set: {
              ...mirrored,
              version: sql`${workflows.version} + 1`,
              updatedBy: user,
              updatedAt: sql`now()`,
            },
            where: expectedVersion === undefined ? undefined : eq(workflows.version, expectedVersion),
          })
          .returning();
        // Insert path with an expected version > 0: the caller thought it was editing an existing one.
        if (row && expectedVersion !== undefined && row.version !== expectedVersion + 1) row = undefined;
      }
    } catch (err) {
      if (pgErrorCode(err) === PG_FOREIGN_KEY_VIOLATION) throw new NotFoundError(`project "${project}" not found`);
      throw err;
    }
    if (!row) {
      throw new ConflictError(
        expectedVersion === 0
          ? `workflow "${project}/${name}" already exists`
          : `workflow "${project}/${name}" was changed by someone else (expected version ${expectedVersion})`,
      );
    }
    await tx.insert(workflowVersions).values({ workflowId: row.id, version: row.version, definition, createdBy: user });
    return row;
  });
}

export async function getWorkflow(db: DbOrTx, project: string, name: string): Promise<WorkflowRow | undefined> {
  const [row] = await db
    .select()
    .from(workflows)
    .where(and(eq(workflows.project, project), eq(workflows.name, name)));
  return row;
}

/** What starting a run reads of its workflow and project. */
export interface WorkflowToRun {
  definition: WorkflowDefinition;
  /** the number the run gets: the lock keeps it the next one until the transaction ends */
  nextRunNumber: number;
  projectDisplayName: string;
}

/**
 * Reads a workflow with its project's display name in one query and locks the workflow row until
 * `tx` ends, as strongly as the UPDATE that takes the number (insertRunTakingNumber) would: concurrent
 * starts of one workflow queue here, so `nextRunNumber` is this run's, and a start refused after this
 * read has written nothing. Undefined when the workflow (or its project) does not exist.
 */
export async function lockWorkflowToRun(tx: Tx, project: string, name: string): Promise<WorkflowToRun | undefined> {
  const [row] = await tx
    .select({
      definition: workflows.definition,
      nextRunNumber: workflows.nextRunNumber,
      projectDisplayName: projects.displayName,
    })
    .from(workflows)
    .innerJoin(projects, eq(projects.name, workflows.project))
    .where(and(eq(workflows.project, project), eq(workflows.name, name)))
    .for('no key update', { of: workflows });
  return row;
}

/** Projects holding a workflow with this key, by name (a key is unique within a project, not across them). */
export async function projectsWithWorkflow(db: DbOrTx, name: string): Promise<string[]> {
  const rows = await db
    .select({ project: workflows.project })
    .from(workflows)
    .where(eq(workflows.name, name))
    .orderBy(asc(workflows.project));
  return rows.map((r) => r.project);
}

export function listWorkflows(db: DbOrTx, project: string): Promise<WorkflowRow[]> {
  return db.select().from(workflows).where(eq(workflows.project, project)).orderBy(asc(workflows.name));
}

/** Deletes the workflow and (by cascade) its versions. Runs stay: they are history. Returns false when absent. */
export async function deleteWorkflow(db: DbOrTx, project: string, name: string): Promise<boolean> {
  const deleted = await db
    .delete(workflows)
    .where(and(eq(workflows.project, project), eq(workflows.name, name)))
    .returning({ id: workflows.id });
  return deleted.length > 0;
}

/** Saved versions, newest first. */
export async function listWorkflowVersions(db: DbOrTx, project: string, name: string): Promise<WorkflowVersionRow[]> {
  const rows = await db
    .select({ version: workflowVersions })
    .from(workflowVersions)
    .innerJoin(workflows, eq(workflows.id, workflowVersions.workflowId))
    .where(and(eq(workflows.project, project), eq(workflows.name, name)))
    .orderBy(desc(workflowVersions.version));
  return rows.map((r) => r.version);
}

export async function getWorkflowVersion(
  db: DbOrTx,
  project: string,
  name: string,
  version: number,
): Promise<WorkflowVersionRow | undefined> {
  const [row] = await db
    .select({ version: workflowVersions })
    .from(workflowVersions)
    .innerJoin(workflows, eq(workflows.id, workflowVersions.workflowId))
    .where(and(eq(workflows.project, project), eq(workflows.name, name), eq(workflowVersions.version, version)));
  return row?.version;
}
