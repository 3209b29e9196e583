import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import * as schema from './schema/index.js';

export type Schema = typeof schema;
/** Drizzle over a pg pool; `$client` is the pool, for the few statements run as named prepared ones. */
export type Db = NodePgDatabase<Schema> & { $client: pg.Pool };
/** The handle inside `db.transaction(...)`; repositories accept either. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
export type DbOrTx = Db | Tx;

export interface DbHandle {
  db: Db;
  pool: pg.Pool;
  close(): Promise<void>;
}

export interface CreateDbOptions {
  /** Pool size; pg's default is 10. */
  max?: number;
  applicationName?: string;
}

/** One pool per caller: services build it in main.ts, tests build their own (no module-level pools). */
export function createDb(url: string, options: CreateDbOptions = {}): DbHandle {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'stagecoach',
  });
  // An idle client losing its connection (server restart) emits 'error' on the pool; without a
  // listener Node would crash the process. The next query gets a fresh connection instead.
  pool.on('error', () => {});
  const db = drizzle({ client: pool, schema, casing: 'snake_case' });
  return {
    db,
    pool,
    close: () => pool.end(),
  };
}

/** Runs `fn` in one transaction (a savepoint when `db` is already a transaction). */
export function withTransaction<T>(db: DbOrTx, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction(fn);
}
