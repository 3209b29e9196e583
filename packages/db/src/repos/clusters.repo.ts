import { asc, eq } from 'drizzle-orm';
import { ConflictError } from '@stagecoach/platform';
import type { DbOrTx } from '../client.js';
import { PG_UNIQUE_VIOLATION, pgErrorCode } from '../pg-errors.js';
import { clusters, type ClusterRow } from '../schema/index.js';

export function listClusters(db: DbOrTx): Promise<ClusterRow[]> {
  return db.select().from(clusters).orderBy(asc(clusters.id));
}

export async function getCluster(db: DbOrTx, id: string): Promise<ClusterRow | undefined> {
  const [row] = await db.select().from(clusters).where(eq(clusters.id, id));
  return row;
}

export async function createCluster(
  db: DbOrTx,
  input: Pick<ClusterRow, 'id' | 'name' | 'description' | 'connectionSealed' | 'server' | 'createdBy'>,
): Promise<ClusterRow> {
  try {
    const [row] = await db.insert(clusters).values(input).returning();
    return row!;
  } catch (err) {
    if (pgErrorCode(err) === PG_UNIQUE_VIOLATION) throw new ConflictError(`cluster "${input.id}" already exists`);
    throw err;
  }
}

export async function updateCluster(
  db: DbOrTx,
  id: string,
  changes: Partial<Pick<ClusterRow, 'name' | 'description' | 'connectionSealed' | 'server'>>,
): Promise<ClusterRow | undefined> {
  const [row] = await db
    .update(clusters)
    .set({ ...changes, updatedAt: new Date() })
    .where(eq(clusters.id, id))
    .returning();
  return row;
}

export async function deleteCluster(db: DbOrTx, id: string): Promise<boolean> {
  const rows = await db.delete(clusters).where(eq(clusters.id, id)).returning({ id: clusters.id });
  return rows.length > 0;
}
