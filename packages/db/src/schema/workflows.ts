import type { WorkflowDefinition } from '@stagecoach/spec';
import { boolean, integer, jsonb, pgTable, primaryKey, text, timestamp, unique } from 'drizzle-orm/pg-core';
import { projects } from './projects.js';

export const workflows = pgTable(
  'workflows',
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    project: text()
      .notNull()
      .references(() => projects.name, { onDelete: 'cascade' }),
    name: text().notNull(),
    displayName: text().notNull(),
    definition: jsonb().$type<WorkflowDefinition>().notNull(),
    /** Bumped by every save; equals the newest workflow_versions.version. */
    version: integer().notNull().default(1),
    disabled: boolean().notNull().default(false),
    /** -1 = unlimited (Zadig's convention). */
    concurrencyLimit: integer().notNull().default(-1),
    /**
     * The run number the next run gets. Lives on the workflow row so starts serialise on its row lock
     * (lockWorkflowToRun, then insertRunTakingNumber in the same transaction) and never share a number.
     */
    nextRunNumber: integer().notNull().default(1),
    createdBy: text().notNull(),
    updatedBy: text().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique('workflows_project_name_unique').on(t.project, t.name)],
);

/** Every saved definition, so a run can be traced to the exact version and an edit can be undone. */
export const workflowVersions = pgTable(
  'workflow_versions',
  {
    workflowId: integer()
      .notNull()
      .references(() => workflows.id, { onDelete: 'cascade' }),
    version: integer().notNull(),
    definition: jsonb().$type<WorkflowDefinition>().notNull(),
    createdBy: text().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.workflowId, t.version] })],
);

export type WorkflowRow = typeof workflows.$inferSelect;
export type WorkflowVersionRow = typeof workflowVersions.$inferSelect;
