// The entry point Temporal workflow code imports: the renderer, the status tables, user lists and
// recipients, and no validation. A workflow bundle evaluates its modules again for every run it
// starts, so each module left out here is work a run's first workflow task does not do.
export type * from './types.js';
export type { NotifyCtl } from './notify.js';
export * from './compensation.js';
export * from './render.js';
export * from './status.js';
export * from './execute-policy.js';
export * from './users.js';
export * from './recipients.js';
