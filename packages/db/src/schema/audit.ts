import { bigint, index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** One mutating API call: who, what, when, from where, and how it ended. Append-only. */
export const auditLog = pgTable(
  'audit_log',
  {
    id: bigint({ mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    at: timestamp({ withTimezone: true }).notNull().defaultNow(),
    actor: text().notNull(),
    method: text().notNull(),
    /** the route pattern (`/api/v1/projects/:project/workflows/:name`), not the raw URL */
    route: text().notNull(),
    /** the route's path params: which object */
    params: jsonb().$type<Record<string, string>>().notNull().default({}),
    status: integer().notNull(),
    ip: text().notNull(),
    userAgent: text(),
    project: text(),
  },
  (t) => [index('audit_log_at_idx').on(t.at), index('audit_log_project_idx').on(t.project, t.at)],
);

export type AuditRow = typeof auditLog.$inferSelect;
