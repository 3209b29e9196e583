export * from './jetstream.js';
export * from './publisher.js';
export * from './consumer.js';
export * from './projector.js';
export * from './logs.js';
export * from './stream-names-for.js';
export * from './ordered.js';
export * from './watch-run.js';
