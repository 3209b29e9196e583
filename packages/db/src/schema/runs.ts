import type { ApprovalState, StageResult } from '@stagecoach/contracts';
import type { RunNotifyCtls, Status } from '@stagecoach/spec';
import { index, integer, jsonb, pgTable, primaryKey, text, timestamp, unique } from 'drizzle-orm/pg-core';

/**
 * Projection of runs for listing and detail pages. Temporal holds the truth of a running execution;
 * this table is kept current by the gateway (insert) and the event projector (everything after).
 * No foreign key to workflows: run history outlives a deleted workflow, and the projector must be
 * able to insert a row from an event alone.
 */
export const runs = pgTable(
  'runs',
  {
    /** `<project>/<workflow>/<runNumber>`, identical to the Temporal workflow id. */
    id: text().primaryKey(),
    project: text().notNull(),
    workflow: text().notNull(),
    runNumber: integer().notNull(),
    status: text().$type<Status>().notNull(),
    creator: text().notNull(),
    remark: text(),
    /** Non-credential params only; credential values live sealed in run_secrets. */
    params: jsonb().$type<Record<string, string>>().notNull().default({}),
    retryNum: integer().notNull().default(0),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    startTime: timestamp({ withTimezone: true }),
    endTime: timestamp({ withTimezone: true }),
    error: text(),
    stages: jsonb().$type<StageResult[]>().notNull().default([]),
    /**
     * (retry, seq) of the newest run-level event applied; older ones are ignored so a redelivery
     * never moves the run backwards. -1 means "none yet" so that seq 0 of retry 0 still applies.
     */
    lastEventRetry: integer().notNull().default(-1),
    lastEventSeq: integer().notNull().default(-1),
    /** Same ordering marks for each stage entry in `stages`, keyed by stage name: [retry, seq]. */
    stageMarks: jsonb().$type<Record<string, [number, number]>>().notNull().default({}),
    /** The frozen definition's notification settings (workflow level and per job); null = none. */
    notifyCtls: jsonb().$type<RunNotifyCtls>(),
  },
  (t) => [
    unique('runs_project_workflow_run_number_unique').on(t.project, t.workflow, t.runNumber),
    index('runs_project_status_idx').on(t.project, t.status),
  ],
);

export const jobRuns = pgTable(
  'job_runs',
  {
    runId: text()
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    stage: text().notNull(),
    job: text().notNull(),
    jobType: text().notNull().default(''),
    status: text().$type<Status>().notNull(),
    startTime: timestamp({ withTimezone: true }),
    endTime: timestamp({ withTimezone: true }),
    error: text(),
    outputs: jsonb().$type<Record<string, string>>(),
    retryCount: integer().notNull().default(0),
    approval: jsonb().$type<ApprovalState>(),
    /** Ordering marks of the newest job event applied (see runs.last_event_*). */
    lastEventRetry: integer().notNull().default(-1),
    lastEventSeq: integer().notNull().default(-1),
  },
  (t) => [primaryKey({ columns: [t.runId, t.job] })],
);

/** What a run secret is: a credential param (named by the param) or a notification job's channel credentials (named by the job). */
export type RunSecretKind = 'param' | 'channel';

/** A run's secrets, sealed with SecretBox; only activities open them. */
export const runSecrets = pgTable(
  'run_secrets',
  {
    runId: text()
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    // Param names are free text: a kind of its own keeps a job's channel apart from a param of the same name.
    kind: text().$type<RunSecretKind>().notNull().default('param'),
    name: text().notNull(),
    sealedValue: text().notNull(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.kind, t.name] })],
);

/**
 * One delivery of one event to one notify ctl: `sending` before the send, then sent or failed (a
 * redelivered event sends again only what is still `sending`).
 */
export const notifications = pgTable(
  'notifications',
  {
    /** Event id (Nats-Msg-Id) or, for once-per-run notifications such as `created`, a run-scoped key. */
    eventId: text().notNull(),
    /** `workflow:<index>` or `job:<name>:<index>` */
    ctl: text().notNull(),
    runId: text().notNull(),
    webhookType: text().notNull(),
    notifyType: text().notNull(),
    /** sending | sent | failed */
    status: text().$type<'sending' | 'sent' | 'failed'>().notNull(),
    attempts: integer().notNull().default(0),
    /** Failure reason with every secret of the ctl masked. */
    error: text(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp({ withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.eventId, t.ctl] }), index('notifications_run_id_idx').on(t.runId)],
);

export type RunRow = typeof runs.$inferSelect;
export type NotificationRow = typeof notifications.$inferSelect;
export type JobRunRow = typeof jobRuns.$inferSelect;
