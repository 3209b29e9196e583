import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const processesModule = fileURLToPath(new URL('./processes.ts', import.meta.url));

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
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
    expect(await until(() => !isAlive(pid), 5_000)).toBe(true);
  });
});
