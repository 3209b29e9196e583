export * from './projects.js';
export * from './workflows.js';
export * from './runs.js';
export * from './relations.js';
export * from './triggers.js';
export * from './approval-links.js';
export * from './views.js';
export * from './audit.js';
