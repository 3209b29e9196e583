export * from './start-run.js';
export * from './control-run.js';
export * from './prepare-definition.js';
export * from './search-attributes.js';
