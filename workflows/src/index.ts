// The worker's workflowsPath: every workflow, and nothing that is not sandbox-safe.
export { pipelineRunWorkflow } from './pipeline-run.workflow.js';
export { concurrencyGateWorkflow } from './concurrency-gate.workflow.js';
export { timerFireWorkflow } from './timer-fire.workflow.js';
