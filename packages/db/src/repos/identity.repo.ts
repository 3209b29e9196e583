import { and, count, eq, gt, inArray, isNull, or, sql } from 'drizzle-orm';
import { ConflictError } from '@stagecoach/platform';
import type { DbOrTx } from '../client.js';
import { PG_UNIQUE_VIOLATION, pgErrorCode } from '../pg-errors.js';
import { credentials, loginFailures, users, type CredentialRow, type UserRow } from '../schema/index.js';

export async function createUser(
  db: DbOrTx,
  input: Pick<UserRow, 'username' | 'passwordHash'> & Partial<Pick<UserRow, 'displayName' | 'email' | 'systemAdmin'>>,
): Promise<UserRow> {
  try {
    const [row] = await db.insert(users).values(input).returning();
    return row!;
  } catch (err) {
    if (pgErrorCode(err) === PG_UNIQUE_VIOLATION) throw new ConflictError(`user "${input.username}" already exists`);
    throw err;
  }
}

export async function getUserByName(db: DbOrTx, username: string): Promise<UserRow | undefined> {
  const [row] = await db.select().from(users).where(eq(users.username, username));
  return row;
}

/** The named users that exist, by username (absent names are simply not in the map). */
export async function getUsersByName(db: DbOrTx, usernames: readonly string[]): Promise<Map<string, UserRow>> {
  if (usernames.length === 0) return new Map();
  const rows = await db
    .select()
    .from(users)
    .where(inArray(users.username, [...usernames]));
  return new Map(rows.map((r) => [r.username, r]));
}

export function listUsers(db: DbOrTx): Promise<UserRow[]> {
  return db.select().from(users).orderBy(users.username);
}

export async function countUsers(db: DbOrTx): Promise<number> {
  const [row] = await db.select({ n: count() }).from(users);
  return row?.n ?? 0;
}

/** Addresses of the named users that have one (mail to run creators and named users). */
export async function emailsOf(db: DbOrTx, usernames: string[]): Promise<Map<string, string>> {
  if (usernames.length === 0) return new Map();
  const rows = await db
    .select({ username: users.username, email: users.email })
    .from(users)
    .where(inArray(users.username, usernames));
  return new Map(rows.filter((r) => r.email).map((r) => [r.username, r.email]));
}

export async function insertCredential(
  db: DbOrTx,
  input: Pick<CredentialRow, 'userId' | 'kind' | 'tokenHash' | 'expiresAt'> & { name?: string },
): Promise<CredentialRow> {
  const [row] = await db.insert(credentials).values(input).returning();
  return row!;
}

/** The live credential with this hash and its user; expired, revoked or disabled ones are not found. */
export async function findLiveCredential(
  db: DbOrTx,
  tokenHash: string,
  now: Date,
): Promise<{ credential: CredentialRow; user: UserRow } | undefined> {
  const [row] = await db
    .select({ credential: credentials, user: users })
    .from(credentials)
    .innerJoin(users, eq(users.id, credentials.userId))
    .where(
      and(
        eq(credentials.tokenHash, tokenHash),
        isNull(credentials.revokedAt),
        gt(credentials.expiresAt, now),
        eq(users.disabled, false),
      ),
    );
  return row;
}

export async function touchCredential(db: DbOrTx, id: string, now: Date): Promise<void> {
  await db.update(credentials).set({ lastUsedAt: now }).where(eq(credentials.id, id));
}

export function listApiTokens(db: DbOrTx, userId: string): Promise<CredentialRow[]> {
  return db
    .select()
    .from(credentials)
    .where(and(eq(credentials.userId, userId), eq(credentials.kind, 'api_token')))
    .orderBy(credentials.createdAt);
}

/** Revokes one of the user's credentials; false when the user has none with that id. */
export async function revokeCredential(db: DbOrTx, userId: string, id: string, now: Date): Promise<boolean> {
  const rows = await db
    .update(credentials)
    .set({ revokedAt: now })
    .where(and(eq(credentials.id, id), eq(credentials.userId, userId), isNull(credentials.revokedAt)))
    .returning({ id: credentials.id });
  return rows.length > 0;
}

export async function recordLoginFailure(db: DbOrTx, username: string, ip: string): Promise<void> {
  await db.insert(loginFailures).values({ username, ip });
}

/** Failures for this username, or from this address, since `since`. */
export async function countLoginFailures(
  db: DbOrTx,
  username: string,
  ip: string,
  since: Date,
): Promise<{ byUser: number; byIp: number }> {
  const [row] = await db
    .select({
      byUser: sql<number>`count(*) filter (where ${loginFailures.username} = ${username})::int`,
      byIp: sql<number>`count(*) filter (where ${loginFailures.ip} = ${ip})::int`,
    })
    .from(loginFailures)
    .where(and(gt(loginFailures.at, since), or(eq(loginFailures.username, username), eq(loginFailures.ip, ip))));
  return { byUser: row?.byUser ?? 0, byIp: row?.byIp ?? 0 };
}
