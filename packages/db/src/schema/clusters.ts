import { pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Kubernetes clusters registered for this installation (Zadig's `cluster_id`). How to reach one — a
 * kubeconfig, or server + token + CA — is sealed with the installation key and never read back by the API.
 */
export const clusters = pgTable('clusters', {
  id: text().primaryKey(),
  name: text().notNull(),
  description: text().notNull().default(''),
  /** SecretBox-sealed JSON of a ClusterConnection */
  connectionSealed: text().notNull(),
  /** the API server URL, kept in the clear for display */
  server: text().notNull(),
  createdBy: text().notNull(),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});

export type ClusterRow = typeof clusters.$inferSelect;
