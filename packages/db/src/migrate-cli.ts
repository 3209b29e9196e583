import { commonSettings, loadConfig } from '@stagecoach/platform';
import { migrateDatabase } from './migrate.js';

// `npm -w @stagecoach/db run migrate`: applies migrations to DATABASE_URL.
const config = loadConfig({ databaseUrl: commonSettings.databaseUrl });
await migrateDatabase(config.databaseUrl);
console.log(`migrated ${new URL(config.databaseUrl).pathname.slice(1) || 'postgres'}`);
