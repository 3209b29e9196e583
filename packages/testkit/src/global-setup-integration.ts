import { startTestStack } from './test-stack.js';

/** PostgreSQL and NATS for the integration project (reused when npm test already started them). */
export default async function setup(): Promise<() => Promise<void>> {
  const stack = await startTestStack({ temporal: false });
  Object.assign(process.env, stack.env);
  return () => stack.stop();
}
