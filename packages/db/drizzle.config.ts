import { defineConfig } from 'drizzle-kit';

// `generate` only diffs the schema against the committed snapshots; DATABASE_URL matters for studio/check.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/schema/index.ts',
  out: './migrations',
  casing: 'snake_case',
  dbCredentials: { url: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/stagecoach' },
  strict: true,
  verbose: true,
});
