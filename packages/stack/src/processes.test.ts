import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

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
