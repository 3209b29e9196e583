import { describe, expect, it } from 'vitest';
import { isListedUser, listedUserNames } from './users.js';
import type { UserRef } from './types.js';

const users: UserRef[] = [
  { type: 'user', user_id: 'u-1', user_name: 'alice' },
  { user_name: 'bob' },
  { type: 'user', user_id: 'u-3' },
  { type: 'task_creator' },
  { type: 'group', group_id: 'g-1', group_name: 'ops' },
];

describe('isListedUser', () => {
  it.each([
    ['alice', 'zed', true],
    ['u-1', 'zed', true],
    ['bob', 'zed', true],
    ['u-3', 'zed', true],
    ['zed', 'zed', true],
    ['carol', 'zed', false],
    ['ops', 'zed', false],
    ['g-1', 'zed', false],
    ['', '', false],
  ])('%s (creator %s) → %s', (user, creator, expected) => {
    expect(isListedUser(users, user, creator)).toBe(expected);
  });

  it('task_creator only matches the run creator', () => {
    expect(isListedUser([{ type: 'task_creator' }], 'alice', 'bob')).toBe(false);
    expect(isListedUser([{ type: 'task_creator' }], 'bob', 'bob')).toBe(true);
  });

  it('an entry without names matches nobody', () => {
    expect(isListedUser([{ type: 'user' }], 'undefined', 'x')).toBe(false);
  });
});

describe('listedUserNames', () => {
  it('lists names in order, creator for task_creator, no groups, no duplicates', () => {
    expect(listedUserNames([...users, { user_name: 'alice' }], 'zed')).toEqual(['alice', 'bob', 'u-3', 'zed']);
  });
  it('deduplicates the creator against explicit entries', () => {
    expect(listedUserNames([{ user_name: 'zed' }, { type: 'task_creator' }], 'zed')).toEqual(['zed']);
  });
  it('skips an empty creator', () => {
    expect(listedUserNames([{ type: 'task_creator' }], '')).toEqual([]);
  });
});
