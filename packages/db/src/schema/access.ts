import { foreignKey, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { users } from './identity.js';
import { projects } from './projects.js';
import { workflows } from './workflows.js';

/** A person's role in a project (Zadig's project admin / member / viewer). */
export type ProjectRole = 'admin' | 'member' | 'viewer';
export const PROJECT_ROLES: readonly ProjectRole[] = ['admin', 'member', 'viewer'];

/** What may be granted on one workflow (Zadig's collaboration-mode verbs). */
export type WorkflowGrantVerb = 'view' | 'edit' | 'run' | 'rollback' | 'debug';
export const WORKFLOW_GRANT_VERBS: readonly WorkflowGrantVerb[] = ['view', 'edit', 'run', 'rollback', 'debug'];

export const projectMembers = pgTable(
  'project_members',
  {
    project: text()
      .notNull()
      .references(() => projects.name, { onDelete: 'cascade' }),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text().$type<ProjectRole>().notNull(),
    grantedBy: text().notNull(),
    grantedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.project, t.userId] })],
);

/** Verbs on one workflow for one person, beyond (or instead of) a project role. */
export const workflowGrants = pgTable(
  'workflow_grants',
  {
    project: text().notNull(),
    workflow: text().notNull(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    verbs: text().array().$type<WorkflowGrantVerb[]>().notNull(),
    grantedBy: text().notNull(),
    grantedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.project, t.workflow, t.userId] }),
    // Deleting the workflow takes its grants with it; a later workflow of the same name starts clean.
    foreignKey({ columns: [t.project, t.workflow], foreignColumns: [workflows.project, workflows.name] }).onDelete(
      'cascade',
    ),
  ],
);

export type ProjectMemberRow = typeof projectMembers.$inferSelect;
export type WorkflowGrantRow = typeof workflowGrants.$inferSelect;
