import { pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** A project is addressed by its key (`name`) everywhere: URLs, run ids, NATS subjects. */
export const projects = pgTable('projects', {
  name: text().primaryKey(),
  displayName: text().notNull(),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});

export type ProjectRow = typeof projects.$inferSelect;
