import { fileURLToPath } from 'node:url';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { PG_DUPLICATE_DATABASE, PG_UNIQUE_VIOLATION, pgErrorCode } from './pg-errors.js';

/** Resolved from this file, not the cwd, so the gateway, worker and tests all find the same SQL. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../migrations', import.meta.url));

// Arbitrary constant: serialises concurrent migrators (two services starting at once) per database.
const MIGRATION_LOCK_KEY = 7_345_112_901;

/** Quotes an identifier for the few statements (CREATE/DROP DATABASE) that cannot take parameters. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Database name of a connection URL (`/postgres` when absent, as libpq defaults to the user name). */
export function databaseName(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  return name || 'postgres';
}

/** The same server and credentials, another database. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

/** Creates the database of `url` when it does not exist, connecting to the server's `postgres` database. */
export async function ensureDatabase(url: string): Promise<void> {
  const name = databaseName(url);
  const admin = new pg.Client({ connectionString: withDatabase(url, 'postgres') });
  await admin.connect();
  try {
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount) return;
    try {
      await admin.query(`CREATE DATABASE ${quoteIdent(name)}`);
    } catch (err) {
      // Another process created it between our check and our CREATE: that is the state we want.
      // Concurrent CREATE DATABASE can also surface as a unique violation on pg_database.
      const code = pgErrorCode(err);
      if (code !== PG_DUPLICATE_DATABASE && code !== PG_UNIQUE_VIOLATION) throw err;
    }
  } finally {
    await admin.end();
  }
}

/** Creates the database if needed and applies every pending migration. Safe to run concurrently and repeatedly. */
export async function migrateDatabase(url: string, options: { migrationsFolder?: string } = {}): Promise<void> {
  await ensureDatabase(url);
  const client = new pg.Client({ connectionString: url, application_name: 'stagecoach-migrate' });
  await client.connect();
  try {
    // drizzle's migrator reads its journal table before taking any lock, so two migrators could
    // both try to apply the same file; a session advisory lock makes the second wait and then no-op.
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await migrate(drizzle({ client }), { migrationsFolder: options.migrationsFolder ?? MIGRATIONS_FOLDER });
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await client.end();
  }
}
