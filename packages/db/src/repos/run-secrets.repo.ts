import type { SecretBox } from '@stagecoach/platform';
import { and, eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client.js';
import { runSecrets, type RunSecretKind } from '../schema/index.js';

/** Seals each value with `box` before it reaches the database; plaintext is never stored. */
export async function storeRunSecrets(
  db: DbOrTx,
  runId: string,
  secrets: Record<string, string>,
  box: SecretBox,
  kind: RunSecretKind = 'param',
): Promise<void> {
  const rows = Object.entries(secrets).map(([name, value]) => ({ runId, kind, name, sealedValue: box.seal(value) }));
  if (rows.length === 0) return;
  await db
    .insert(runSecrets)
    .values(rows)
    .onConflictDoUpdate({
      target: [runSecrets.runId, runSecrets.kind, runSecrets.name],
      set: { sealedValue: sql`excluded.sealed_value` },
    });
}

/**
 * Opens every secret of one kind of a run (or the one named `name`); throws if a value was sealed with
 * another key (tampering or key mix-up).
 */
export async function loadRunSecrets(
  db: DbOrTx,
  runId: string,
  box: SecretBox,
  kind: RunSecretKind = 'param',
  name?: string,
): Promise<Record<string, string>> {
  const rows = await db
    .select()
    .from(runSecrets)
    .where(
      and(
        eq(runSecrets.runId, runId),
        eq(runSecrets.kind, kind),
        name === undefined ? undefined : eq(runSecrets.name, name),
      ),
    );
  return Object.fromEntries(rows.map((r) => [r.name, box.open(r.sealedValue)]));
}
