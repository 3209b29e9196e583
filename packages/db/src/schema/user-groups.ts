import { index, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { users } from './identity.js';

/**
 * Named sets of users (Zadig's user groups). A definition's user lists (approvers, manual-exec users,
 * manual_check deciders, mail recipients) may name a group by `group_id` (this table's `id`) or
 * `group_name`; a run replaces it by the members it has when the run is built.
 */
export const userGroups = pgTable('user_groups', {
  id: uuid().primaryKey().defaultRandom(),
  name: text().notNull().unique(),
  description: text().notNull().default(''),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});

/** Who is in which group; deleting either side takes the membership with it. */
export const userGroupMembers = pgTable(
  'user_group_members',
  {
    groupId: uuid()
      .notNull()
      .references(() => userGroups.id, { onDelete: 'cascade' }),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ columns: [t.groupId, t.userId] }), index('user_group_members_user_idx').on(t.userId)],
);

export type UserGroupRow = typeof userGroups.$inferSelect;
