export { buildApp } from './app.js';
export type { GatewayDeps } from './deps.js';
export { bootstrapAdmin } from './bootstrap-admin.js';
export { buildGrpcServer, type GrpcServer } from './grpc/server.js';
