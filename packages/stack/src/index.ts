export * from './binaries.js';
export * from './processes.js';
export * from './temporal.js';
export * from './nats.js';
export * from './postgres.js';
