import { integer, pgTable, primaryKey, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';
import { projects } from './projects.js';
import { workflows } from './workflows.js';

/**
 * A named set of a project's workflows (Zadig's workflow view). The `All` view is not stored: it is
 * every workflow of the project. Deleting a workflow takes it out of every view.
 */
export const views = pgTable(
  'views',
  {
    id: uuid().primaryKey().defaultRandom(),
    project: text()
      .notNull()
      .references(() => projects.name, { onDelete: 'cascade' }),
    name: text().notNull(),
    updatedBy: text().notNull(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique('views_project_name_unique').on(t.project, t.name)],
);

export const viewWorkflows = pgTable(
  'view_workflows',
  {
    viewId: uuid()
      .notNull()
      .references(() => views.id, { onDelete: 'cascade' }),
    workflowId: integer()
      .notNull()
      .references(() => workflows.id, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ columns: [t.viewId, t.workflowId] })],
);

export type ViewRow = typeof views.$inferSelect;
