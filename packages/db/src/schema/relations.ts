import { relations } from 'drizzle-orm';
import { projects } from './projects.js';
import { jobRuns, runs, runSecrets } from './runs.js';
import { workflows, workflowVersions } from './workflows.js';

export const projectsRelations = relations(projects, ({ many }) => ({ workflows: many(workflows) }));

export const workflowsRelations = relations(workflows, ({ one, many }) => ({
  project: one(projects, { fields: [workflows.project], references: [projects.name] }),
  versions: many(workflowVersions),
}));

export const workflowVersionsRelations = relations(workflowVersions, ({ one }) => ({
  workflow: one(workflows, { fields: [workflowVersions.workflowId], references: [workflows.id] }),
}));

export const runsRelations = relations(runs, ({ many }) => ({ jobRuns: many(jobRuns), secrets: many(runSecrets) }));

export const jobRunsRelations = relations(jobRuns, ({ one }) => ({
  run: one(runs, { fields: [jobRuns.runId], references: [runs.id] }),
}));

export const runSecretsRelations = relations(runSecrets, ({ one }) => ({
  run: one(runs, { fields: [runSecrets.runId], references: [runs.id] }),
}));
