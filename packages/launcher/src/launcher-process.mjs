// The process launcher's own process (see launcher.ts). Plain JavaScript run by bare `node`, loading nothing
// but node:child_process: every fork copies this process's page tables, so it must stay small.
import { spawn } from 'node:child_process';

const children = new Map();
const send = (message) => {
  if (process.connected) process.send(message);
};

function start({ id, command, args, cwd, env }) {
  let child;
  try {
    child = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    send({ id, event: 'error', message: err.message, code: err.code });
    return;
  }
  if (child.pid === undefined) {
    // ENOENT and friends arrive as an 'error' event, with no process to follow.
    child.once('error', (err) => send({ id, event: 'error', message: err.message, code: err.code }));
    return;
  }
  children.set(id, child);
  send({ id, event: 'spawned', pid: child.pid });
  child.stdout.on('data', (data) => send({ id, event: 'stdout', data }));
  child.stderr.on('data', (data) => send({ id, event: 'stderr', data }));
  child.once('exit', (code, signal) => send({ id, event: 'exit', code, signal }));
  child.once('close', () => {
    children.delete(id);
    send({ id, event: 'close' });
  });
}

process.on('message', (message) => {
  if (message.op === 'spawn') start(message);
  if (message.op === 'abandon') {
    // Output pipes held open by a process that left the command's group: stop reading them.
    const child = children.get(message.id);
    child?.stdout.destroy();
    child?.stderr.destroy();
  }
});
// The worker is gone: commands keep running in their own groups (the next attempt kills them), as they
// would have with the worker as their parent.
process.on('disconnect', () => process.exit(0));
