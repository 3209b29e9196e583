import { boolean, index, integer, jsonb, pgTable, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';
import { workflows } from './workflows.js';

export type TriggerKind = 'git' | 'timer' | 'jira' | 'meego' | 'general';

/**
 * A trigger of one workflow. `config` holds the kind's Zadig fields except the secret, which is
 * sealed apart so a listing can never leak it; `params` are the run arguments the trigger starts
 * runs with (credential values sealed in `sealedParams`). Deleting the workflow deletes its triggers.
 */
export const triggers = pgTable(
  'triggers',
  {
    id: uuid().primaryKey().defaultRandom(),
    workflowId: integer()
      .notNull()
      .references(() => workflows.id, { onDelete: 'cascade' }),
    project: text().notNull(),
    workflow: text().notNull(),
    kind: text().$type<TriggerKind>().notNull(),
    name: text().notNull(),
    enabled: boolean().notNull().default(true),
    config: jsonb().$type<Record<string, unknown>>().notNull(),
    /** the kind's secret fields (webhook secret, API tokens), sealed together as one JSON object */
    sealedSecrets: text(),
    params: jsonb().$type<Record<string, string>>().notNull().default({}),
    sealedParams: text(),
    /**
     * Git triggers only: `<source>:<owner>/<name>` in lower case, so a delivery finds the triggers of
     * its repository with one indexed lookup.
     */
    repoKey: text(),
    createdBy: text().notNull(),
    updatedBy: text().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique('triggers_workflow_kind_name_unique').on(t.workflowId, t.kind, t.name),
    index('triggers_repo_key_idx').on(t.repoKey),
  ],
);

export type DeliveryDecision = 'pending' | 'starting' | 'started' | 'ignored';

/**
 * One delivery as seen by one trigger, and what was decided. The unique key (source, delivery key,
 * trigger) is what makes a redelivered or concurrently duplicated delivery start at most one run:
 * the row is claimed under a row lock, and a run is allocated (`starting`, with the run input kept)
 * in the same transaction that records it, so a crash before the Temporal start is finished by the
 * next delivery of the same key or by the trigger service's start-up sweep.
 */
export const triggerDeliveries = pgTable(
  'trigger_deliveries',
  {
    id: uuid().primaryKey().defaultRandom(),
    /** github, gitlab, gitee, jira, meego, general or timer */
    source: text().notNull(),
    deliveryKey: text().notNull(),
    triggerId: uuid()
      .notNull()
      .references(() => triggers.id, { onDelete: 'cascade' }),
    project: text().notNull(),
    workflow: text().notNull(),
    /** the provider's event name (push, pull_request, tag, jira:issue_updated, ...) */
    event: text().notNull(),
    decision: text().$type<DeliveryDecision>().notNull(),
    reason: text(),
    runNumber: integer(),
    /** the prepared run input while `starting` (credential values are never in it) */
    pendingStart: jsonb(),
    /** what later steps need: PR/ref/commit for auto-cancel, the issue to comment on */
    context: jsonb().$type<Record<string, string>>().notNull().default({}),
    receivedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    decidedAt: timestamp({ withTimezone: true }),
  },
  (t) => [
    unique('trigger_deliveries_key_unique').on(t.source, t.deliveryKey, t.triggerId),
    index('trigger_deliveries_workflow_idx').on(t.project, t.workflow, t.receivedAt),
    index('trigger_deliveries_run_idx').on(t.project, t.workflow, t.runNumber),
  ],
);

export type TriggerRow = typeof triggers.$inferSelect;
export type TriggerDeliveryRow = typeof triggerDeliveries.$inferSelect;
