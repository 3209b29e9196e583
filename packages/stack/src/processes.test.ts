import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { freePort, listensOn } from './processes.js';

const processesModule = fileURLToPath(new URL('./processes.ts', import.meta.url));

/** Running, not merely unreaped: kill(pid, 0) also succeeds on a zombie nobody has waited for. */
function isAlive(pid: number): boolean {
  try {
    // The state follows the parenthesised command name, which may itself hold spaces.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}

describe('managed server processes', () => {
  it('go down with a starter that throws before stopping them', async () => {
    // The starter runs detached servers (their own process groups), prints one's pid, and throws.
    const starter = `
      import { startManaged } from ${JSON.stringify(processesModule)};
      const server = startManaged('sleeper', 'sleep', ['60']);
      process.stdout.write(String(server.child.pid));
      throw new Error('the starter failed');
    `;
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', starter], {
      encoding: 'utf8',
    });
    expect(result.stderr).toContain('the starter failed');
    const pid = Number(result.stdout);
    expect(pid).toBeGreaterThan(0);
    try {
      expect(await until(() => !isAlive(pid), 5_000)).toBe(true);
    } finally {
      // A failed run must not leave the sleeper behind.
      if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    }
  });
});

describe('listensOn', () => {
  it('tells the process listening on a port from one that is not', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const other = spawn('sleep', ['30']);
    try {
      expect(await listensOn(process.pid, port)).toBe(true);
      // Something listens on the port, but not this process: the case of a port taken after it was picked.
      expect(await listensOn(other.pid!, port)).toBe(false);
      expect(await listensOn(process.pid, await freePort())).toBe(false);
    } finally {
      other.kill('SIGKILL');
      server.close();
    }
  });
});
