import { asc, eq, inArray, or, sql, type SQL } from 'drizzle-orm';
import { ConflictError } from '@stagecoach/platform';
import type { DbOrTx } from '../client.js';
import { PG_UNIQUE_VIOLATION, pgErrorCode } from '../pg-errors.js';
import { userGroupMembers, userGroups, users, type UserGroupRow } from '../schema/index.js';

export interface UserGroupMember {
  userId: string;
  username: string;
}

/** A group and its members, in username order. */
export interface UserGroupWithMembers extends UserGroupRow {
  members: UserGroupMember[];
}

export async function createUserGroup(
  db: DbOrTx,
  input: Pick<UserGroupRow, 'name'> & Partial<Pick<UserGroupRow, 'description'>>,
): Promise<UserGroupRow> {
  try {
    const [row] = await db.insert(userGroups).values(input).returning();
    return row!;
  } catch (err) {
    if (pgErrorCode(err) === PG_UNIQUE_VIOLATION) throw new ConflictError(`user group "${input.name}" already exists`);
    throw err;
  }
}

export function listUserGroups(db: DbOrTx): Promise<UserGroupWithMembers[]> {
  return groupsWithMembers(db);
}

export async function getUserGroup(db: DbOrTx, name: string): Promise<UserGroupWithMembers | undefined> {
  const [group] = await groupsWithMembers(db, eq(userGroups.name, name));
  return group;
}

/**
 * The groups with any of these ids or names. Ids are compared as text: a definition may carry ids
 * from elsewhere (a Zadig export) that are not UUIDs, and those must simply match nothing.
 */
export function findUserGroups(
  db: DbOrTx,
  refs: { ids: readonly string[]; names: readonly string[] },
): Promise<UserGroupWithMembers[]> {
  const conditions = [
    ...(refs.ids.length > 0 ? [inArray(sql`${userGroups.id}::text`, [...refs.ids])] : []),
    ...(refs.names.length > 0 ? [inArray(userGroups.name, [...refs.names])] : []),
  ];
  if (conditions.length === 0) return Promise.resolve([]);
  return groupsWithMembers(db, or(...conditions));
}

/** Makes `userIds` the group's whole membership; run it in the transaction that checked the users exist. */
export async function replaceUserGroupMembers(db: DbOrTx, groupId: string, userIds: readonly string[]): Promise<void> {
  await db.delete(userGroupMembers).where(eq(userGroupMembers.groupId, groupId));
  if (userIds.length === 0) return;
  await db
    .insert(userGroupMembers)
    .values([...new Set(userIds)].map((userId) => ({ groupId, userId })))
    .onConflictDoNothing();
}

export async function deleteUserGroup(db: DbOrTx, name: string): Promise<boolean> {
  const rows = await db.delete(userGroups).where(eq(userGroups.name, name)).returning({ id: userGroups.id });
  return rows.length > 0;
}

/** One query: groups (all, or those matching `where`) joined to their members, folded per group. */
async function groupsWithMembers(db: DbOrTx, where?: SQL): Promise<UserGroupWithMembers[]> {
  const rows = await db
    .select({ group: userGroups, userId: users.id, username: users.username })
    .from(userGroups)
    .leftJoin(userGroupMembers, eq(userGroupMembers.groupId, userGroups.id))
    .leftJoin(users, eq(users.id, userGroupMembers.userId))
    .where(where)
    .orderBy(asc(userGroups.name), asc(users.username));
  const groups = new Map<string, UserGroupWithMembers>();
  for (const row of rows) {
    let group = groups.get(row.group.id);
    if (!group) groups.set(row.group.id, (group = { ...row.group, members: [] }));
    if (row.userId && row.username) group.members.push({ userId: row.userId, username: row.username });
  }
  return [...groups.values()];
}
