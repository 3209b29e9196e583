export * from './errors.js';
export * from './logger.js';
export * from './config.js';
export * from './secret-box.js';
export * from './mask.js';
export * from './passwords.js';
export * from './bearer-tokens.js';
