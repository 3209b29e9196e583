export { httpServerOptions, registerErrorHandler } from './errors.js';
export { rejectUnstorableInput } from './input-guard.js';
export { listenOrExit } from './listen.js';
export { strictJsonParser } from './json-body.js';
