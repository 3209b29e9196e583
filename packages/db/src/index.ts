export * from './schema/index.js';
export * from './client.js';
export { migrateDatabase, ensureDatabase, MIGRATIONS_FOLDER } from './migrate.js';
export { pgErrorCode } from './pg-errors.js';
export * from './repos/projects.repo.js';
export * from './repos/workflows.repo.js';
export * from './repos/runs.repo.js';
export * from './repos/run-secrets.repo.js';
export * from './repos/run-events.repo.js';
