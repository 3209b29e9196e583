import { ConflictError } from '@stagecoach/platform';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, withTransaction, type DbHandle } from './client.js';
import { createUser, getUsersByName } from './repos/identity.repo.js';
import {
  createUserGroup,
  deleteUserGroup,
  findUserGroups,
  getUserGroup,
  listUserGroups,
  replaceUserGroupMembers,
} from './repos/user-groups.repo.js';
import { userGroupMembers, users } from './schema/index.js';
import { createTestDatabase, type TestDatabase } from './testing.js';

let testDb: TestDatabase;
let handle: DbHandle;
const ids: Record<string, string> = {};

beforeAll(async () => {
  testDb = await createTestDatabase();
  handle = createDb(testDb.url);
  for (const username of ['carol', 'dave', 'erin']) {
    ids[username] = (await createUser(handle.db, { username, passwordHash: 'x' })).id;
  }
});

afterAll(async () => {
  await handle?.close();
  await testDb?.drop();
});

const names = (g: { members: { username: string }[] } | undefined) => g?.members.map((m) => m.username);

describe('user groups', () => {
  it('creates groups with unique names', async () => {
    const ops = await createUserGroup(handle.db, { name: 'ops', description: 'on call' });
    expect(ops).toMatchObject({ name: 'ops', description: 'on call' });
    expect((await createUserGroup(handle.db, { name: 'qa' })).description).toBe('');
    const err = await createUserGroup(handle.db, { name: 'ops' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as ConflictError).message).toBe('user group "ops" already exists');
  });

  it('replaces the member list and lists groups with their members in name order', async () => {
    const ops = (await getUserGroup(handle.db, 'ops'))!;
    await replaceUserGroupMembers(handle.db, ops.id, [ids.erin!, ids.carol!, ids.carol!]);
    expect(names(await getUserGroup(handle.db, 'ops'))).toEqual(['carol', 'erin']);
    await replaceUserGroupMembers(handle.db, ops.id, [ids.dave!]);
    expect(names(await getUserGroup(handle.db, 'ops'))).toEqual(['dave']);
    expect((await listUserGroups(handle.db)).map((g) => [g.name, names(g)])).toEqual([
      ['ops', ['dave']],
      ['qa', []],
    ]);
  });

  it('finds groups by id or name, and ids that are not UUIDs match nothing', async () => {
    const qa = (await getUserGroup(handle.db, 'qa'))!;
    const found = await findUserGroups(handle.db, { ids: [qa.id, 'zadig-group-7'], names: ['ops', 'missing'] });
    expect(found.map((g) => g.name)).toEqual(['ops', 'qa']);
    expect(await findUserGroups(handle.db, { ids: ['zadig-group-7'], names: [] })).toEqual([]);
    expect(await findUserGroups(handle.db, { ids: [], names: [] })).toEqual([]);
  });

  it('looks users up by name', async () => {
    const found = await getUsersByName(handle.db, ['carol', 'nobody', 'erin']);
    expect([...found.keys()].sort()).toEqual(['carol', 'erin']);
    expect(found.get('carol')?.id).toBe(ids.carol);
  });

  it('drops memberships with the user or the group', async () => {
    const qa = (await getUserGroup(handle.db, 'qa'))!;
    await withTransaction(handle.db, (tx) => replaceUserGroupMembers(tx, qa.id, [ids.carol!, ids.erin!]));
    await handle.db.delete(users).where(eq(users.id, ids.erin!));
    expect(names(await getUserGroup(handle.db, 'qa'))).toEqual(['carol']);
    expect(await deleteUserGroup(handle.db, 'qa')).toBe(true);
    expect(await deleteUserGroup(handle.db, 'qa')).toBe(false);
    expect(await getUserGroup(handle.db, 'qa')).toBeUndefined();
    const left = await handle.db.select().from(userGroupMembers).where(eq(userGroupMembers.groupId, qa.id));
    expect(left).toEqual([]);
  });
});
