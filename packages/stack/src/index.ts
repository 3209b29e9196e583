export * from './binaries.js';
export * from './processes.js';
export * from './temporal.js';
export * from './nats.js';
export * from './postgres.js';
export * from './env-file.js';
export * from './k8s/binaries.js';
export * from './k8s/control-plane.js';
