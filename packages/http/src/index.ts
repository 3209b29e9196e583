export { registerErrorHandler } from './errors.js';
