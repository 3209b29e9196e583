import { asc, eq } from 'drizzle-orm';
import { ConflictError, type SecretBox } from '@stagecoach/platform';
import type { DbOrTx } from '../client.js';
import { PG_UNIQUE_VIOLATION, pgErrorCode } from '../pg-errors.js';
import { imApps, type ImAppRow } from '../schema/index.js';

export function listImApps(db: DbOrTx): Promise<ImAppRow[]> {
  return db.select().from(imApps).orderBy(asc(imApps.id));
}

export async function getImApp(db: DbOrTx, id: string): Promise<ImAppRow | undefined> {
  const [row] = await db.select().from(imApps).where(eq(imApps.id, id));
  return row;
}

export async function createImApp(
  db: DbOrTx,
  input: Pick<ImAppRow, 'id' | 'kind' | 'name' | 'appId' | 'appSecretSealed' | 'baseUrl' | 'createdBy'>,
): Promise<ImAppRow> {
  try {
    const [row] = await db.insert(imApps).values(input).returning();
    return row!;
  } catch (err) {
    if (pgErrorCode(err) === PG_UNIQUE_VIOLATION) throw new ConflictError(`IM app "${input.id}" already exists`);
    throw err;
  }
}

export async function updateImApp(
  db: DbOrTx,
  id: string,
  changes: Partial<Pick<ImAppRow, 'name' | 'appId' | 'appSecretSealed' | 'baseUrl'>>,
): Promise<ImAppRow | undefined> {
  const [row] = await db
    .update(imApps)
    .set({ ...changes, updatedAt: new Date() })
    .where(eq(imApps.id, id))
    .returning();
  return row;
}

export async function deleteImApp(db: DbOrTx, id: string): Promise<boolean> {
  const rows = await db.delete(imApps).where(eq(imApps.id, id)).returning({ id: imApps.id });
  return rows.length > 0;
}

/** A registered app with its secret unsealed, for the senders that act as it; undefined when unknown. */
export async function openImApp(
  db: DbOrTx,
  box: SecretBox,
  id: string,
): Promise<{ appId: string; appSecret: string; baseUrl: string } | undefined> {
  const row = await getImApp(db, id);
  return row && { appId: row.appId, appSecret: box.open(row.appSecretSealed), baseUrl: row.baseUrl };
}
