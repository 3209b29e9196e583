export { buildApp } from './app.js';
export type { GatewayDeps } from './deps.js';
