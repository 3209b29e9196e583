export * from './client.js';
export * from './connection.js';
export * from './wait.js';
export * from './workloads.js';
export * from './job-context.js';
export * from './jobs/index.js';
