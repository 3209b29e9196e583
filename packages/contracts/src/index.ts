export * from './names.js';
export * from './run.js';
export * from './messages.js';
export * from './events.js';
export * from './errors.js';
export * from './activities.js';
export * from './search-attributes.js';
export * from './sinks.js';
