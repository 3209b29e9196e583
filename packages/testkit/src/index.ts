export * from './engine.js';
export * from './test-stack.js';
