import { ConflictError } from '@stagecoach/platform';
import { asc, eq } from 'drizzle-orm';
import type { DbOrTx } from '../client.js';
import { PG_UNIQUE_VIOLATION, pgErrorCode } from '../pg-errors.js';
import { projects, type ProjectRow } from '../schema/index.js';

export interface NewProject {
  name: string;
  displayName?: string;
}

/** Throws ConflictError (409) when a project with that key exists. */
export async function createProject(db: DbOrTx, input: NewProject): Promise<ProjectRow> {
  try {
    const [row] = await db
      .insert(projects)
      .values({ name: input.name, displayName: input.displayName ?? input.name })
      .returning();
    return row!;
  } catch (err) {
    if (pgErrorCode(err) === PG_UNIQUE_VIOLATION) throw new ConflictError(`project "${input.name}" already exists`);
    throw err;
  }
}

export async function getProject(db: DbOrTx, name: string): Promise<ProjectRow | undefined> {
  const [row] = await db.select().from(projects).where(eq(projects.name, name));
  return row;
}

export function listProjects(db: DbOrTx): Promise<ProjectRow[]> {
  return db.select().from(projects).orderBy(asc(projects.name));
}
