// The npm scripts that run a TypeScript entry point (start, test, the benchmarks) start servers and stop
// them on Ctrl-C. tsx's CLI sits between npm and the script and relays signals: when the script has not
// confirmed a signal within about 60 ms (its event loop busy), tsx kills it with SIGKILL, and whatever
// it started is left running. `node --import tsx` runs the script itself.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const FIXTURE = 'test/fixtures/busy-until-interrupted.ts';

const scripts = (JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { scripts: Record<string, string> })
  .scripts;
/** How each script runs its .ts entry point (the last command of the script, its entry point replaced). */
const runners = [
  ...new Set(
    Object.values(scripts)
      .map((command) => command.split('&&').at(-1)!.trim())
      .filter((last) => /\.ts$/.test(last))
      .map((last) => last.replace(/\S+\.ts$/, FIXTURE)),
  ),
];

/** Runs `command` in a process group of its own, sends the group SIGINT once it is busy, and returns what it printed. */
function interrupted(command: string): Promise<{ output: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', command], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let sent = false;
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (!sent && output.includes('busy')) {
        sent = true;
        process.kill(-child.pid!, 'SIGINT');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ output, code }));
  });
}

describe('npm scripts that run TypeScript', () => {
  it('run it so that Ctrl-C reaches the script even while it is busy', async () => {
    expect(runners.length).toBeGreaterThan(0);
    for (const runner of runners) {
      const { output, code } = await interrupted(runner);
      expect({ runner, output, code }).toMatchObject({ output: expect.stringContaining('stopped cleanly'), code: 0 });
    }
  }, 30_000);
});
