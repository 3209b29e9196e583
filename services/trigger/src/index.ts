export { buildTriggerApp } from './app.js';
export type { TriggerServiceDeps } from './deps.js';
