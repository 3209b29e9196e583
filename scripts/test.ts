// `npm test`: starts the servers every test project needs once (nats-server with JetStream, an ephemeral
// Temporal dev server; PostgreSQL is checked and started if needed), runs every vitest project, stops them.
import { spawn } from 'node:child_process';
import { startTestStack } from '@stagecoach/testkit';

const stack = await startTestStack({ temporal: true });
const vitest = spawn('npx', ['vitest', 'run', ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, ...stack.env },
});
// The servers run in process groups of their own: an interrupted test run must still stop them.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    vitest.kill(signal);
    void stack.stop().then(() => process.exit(130));
  });
}
const code = await new Promise<number>((resolve) => vitest.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))));
await stack.stop();
process.exit(code);
