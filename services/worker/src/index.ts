export { createWorker, WORKFLOWS_PATH, type WorkerDeps } from './worker.js';
