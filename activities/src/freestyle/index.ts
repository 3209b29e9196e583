export type { FreestyleHeartbeat, FreestyleJobDeps, FreestyleJobInput, FreestyleJobResult, LogSink } from './types.js';
export { FreestyleSpecError, GitCheckoutError, JobFailedError, JobTimeoutError } from './errors.js';
export { runFreestyleJob } from './run.js';
export { cleanupFreestyleJob, jobWorkspaceDir } from './workspace.js';
export { DEFAULT_TIMEOUT_MINUTES } from './script.js';
