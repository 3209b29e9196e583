import { and, desc, eq, lt, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../client.js';
import { auditLog, type AuditRow } from '../schema/index.js';

export type NewAuditEntry = Omit<AuditRow, 'id' | 'at'>;

export async function recordAudit(db: DbOrTx, entry: NewAuditEntry): Promise<void> {
  await db.insert(auditLog).values(entry);
}

export interface AuditQuery {
  project?: string;
  actor?: string;
  /** entries older than this id (paging backwards from the newest) */
  before?: number;
  limit: number;
}

/** Newest first. */
export function listAudit(db: DbOrTx, q: AuditQuery): Promise<AuditRow[]> {
  const conditions: SQL[] = [];
  if (q.project) conditions.push(eq(auditLog.project, q.project));
  if (q.actor) conditions.push(eq(auditLog.actor, q.actor));
  if (q.before) conditions.push(lt(auditLog.id, q.before));
  return db
    .select()
    .from(auditLog)
    .where(conditions.length ? and(...conditions) : undefined)
    .orderBy(desc(auditLog.id))
    .limit(q.limit);
}
