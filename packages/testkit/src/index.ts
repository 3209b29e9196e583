export * from './engine.js';
export * from './test-stack.js';
export * from './kube.js';
export * from './history.js';
