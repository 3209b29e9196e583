// Pure functions only, no I/O, no Node builtins. The YAML/JSON loader lives in '@stagecoach/spec/load';
// Temporal workflow code imports the smaller '@stagecoach/spec/sandbox'.
export * from './types.js';
export * from './kube-specs.js';
export * from './compensation.js';
export * from './validate.js';
export * from './notify.js';
export * from './channel-secrets.js';
export * from './recipients.js';
export * from './render.js';
export * from './params.js';
export * from './status.js';
export * from './execute-policy.js';
export * from './users.js';
export * from './json-schema.js';
export * from './unstorable.js';
export * from './json-duplicates.js';
