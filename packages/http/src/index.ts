export { registerErrorHandler } from './errors.js';
export { rejectNulCharacters } from './nul-guard.js';
