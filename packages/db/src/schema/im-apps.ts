import { pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Chat apps of this installation (Zadig's IM app integration): `feishu_app` and `feishu_person`
 * notifications name one by `app_id`. The app secret is sealed with the installation key and never
 * read back by the API.
 */
export const imApps = pgTable('im_apps', {
  id: text().primaryKey(),
  kind: text().$type<'lark'>().notNull(),
  name: text().notNull(),
  /** the vendor's app id (Feishu `cli_…`), kept in the clear */
  appId: text().notNull(),
  /** SecretBox-sealed app secret */
  appSecretSealed: text().notNull(),
  /** the Open API base: https://open.feishu.cn, https://open.larksuite.com, or a private deployment */
  baseUrl: text().notNull(),
  createdBy: text().notNull(),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});

export type ImAppRow = typeof imApps.$inferSelect;
