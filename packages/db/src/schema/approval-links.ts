import { index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { runs } from './runs.js';

/**
 * A personal approval link: one approver, one approval job of one run attempt. Only the SHA-256 of
 * the random token is stored, so the table cannot be turned back into working links. Single use
 * (`usedAt`); it also stops working when the approval stops waiting, which the page checks.
 */
export const approvalLinks = pgTable(
  'approval_links',
  {
    tokenHash: text().primaryKey(),
    runId: text()
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    job: text().notNull(),
    retryNum: integer().notNull(),
    approver: text().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    usedAt: timestamp({ withTimezone: true }),
  },
  (t) => [index('approval_links_run_idx').on(t.runId)],
);

export type ApprovalLinkRow = typeof approvalLinks.$inferSelect;
