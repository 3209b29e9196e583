import { boolean, index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/** People who sign in. Passwords are stored only as a scrypt hash (see packages/identity). */
export const users = pgTable('users', {
  id: uuid().primaryKey().defaultRandom(),
  username: text().notNull().unique(),
  displayName: text().notNull().default(''),
  email: text().notNull().default(''),
  passwordHash: text().notNull(),
  systemAdmin: boolean().notNull().default(false),
  disabled: boolean().notNull().default(false),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});

/**
 * Bearer credentials: login sessions and personal API tokens. Only the SHA-256 of a token is stored;
 * the token itself is shown once, when it is made.
 */
export const credentials = pgTable(
  'credentials',
  {
    id: uuid().primaryKey().defaultRandom(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    kind: text().$type<'session' | 'api_token'>().notNull(),
    /** the user's label for an API token; empty for sessions */
    name: text().notNull().default(''),
    tokenHash: text().notNull().unique(),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
    revokedAt: timestamp({ withTimezone: true }),
    lastUsedAt: timestamp({ withTimezone: true }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('credentials_user_idx').on(t.userId, t.kind)],
);

/** Failed sign-ins, the window the login rate limit counts. */
export const loginFailures = pgTable(
  'login_failures',
  {
    id: uuid().primaryKey().defaultRandom(),
    username: text().notNull(),
    ip: text().notNull(),
    at: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('login_failures_username_idx').on(t.username, t.at), index('login_failures_ip_idx').on(t.ip, t.at)],
);

export type UserRow = typeof users.$inferSelect;
export type CredentialRow = typeof credentials.$inferSelect;
