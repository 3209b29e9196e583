import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrateDatabase, quoteIdent, withDatabase } from './migrate.js';

export const DEFAULT_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  /** Connection URL of the fresh, migrated database. */
  url: string;
  name: string;
  /** Drops the database (terminating leftover connections). */
  drop(): Promise<void>;
}

/**
 * A fresh database with a random name on the server of `adminUrl` (default: DATABASE_URL), migrated.
 * Each test file gets its own, so files never see each other's rows.
 */
export async function createTestDatabase(
  adminUrl: string = process.env.DATABASE_URL ?? DEFAULT_ADMIN_URL,
  prefix = 'sc_test',
): Promise<TestDatabase> {
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const url = withDatabase(adminUrl, name);
  await migrateDatabase(url);
  return {
    url,
    name,
    async drop() {
      const admin = new pg.Client({ connectionString: withDatabase(adminUrl, 'postgres') });
      await admin.connect();
      try {
        await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    },
  };
}
