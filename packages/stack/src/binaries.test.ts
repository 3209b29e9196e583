import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { goInstalled } from './binaries.js';

/**
 * A `go` that installs as slowly as a real build: it writes the binary in two parts, a moment apart, into
 * $GOBIN, and refuses versions named `v0.0.0-bad`. Every install it runs is appended to `installs`.
 */
function fakeGo(root: string): void {
  const bin = join(root, 'fake-go-bin');
  writeFileSync(join(root, 'installs'), '');
  const script = `#!/bin/sh
echo "$2 $GOBIN" >> "${join(root, 'installs')}"
case "$2" in *@v0.0.0-bad) echo "go: no such version" >&2; exit 1;; esac
printf 'half' > "$GOBIN/tool"
sleep 0.3
printf ' and done' >> "$GOBIN/tool"
`;
  mkdirSync(bin);
  writeFileSync(join(bin, 'go'), script);
  chmodSync(join(bin, 'go'), 0o755);
}

let root: string;
let savedEnv: NodeJS.ProcessEnv;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'go-installed-'));
  fakeGo(root);
  savedEnv = { ...process.env };
  process.env.STAGECOACH_CACHE_DIR = join(root, 'cache');
  process.env.PATH = `${join(root, 'fake-go-bin')}${delimiter}${process.env.PATH}`;
});
afterEach(() => {
  process.env = savedEnv;
});

const quiet = () => undefined;

describe('goInstalled', () => {
  it('builds the first version that builds, into a folder of its own, and finds it cached after', () => {
    const path = goInstalled('tool', 'example.com/tool', ['v0.0.0-bad', 'v1.0.0'], quiet);
    expect(path).toBe(join(root, 'cache', 'go-bin', 'tool-v1.0.0', 'tool'));
    expect(readFileSync(path, 'utf8')).toBe('half and done');
    // The refused version left nothing behind, and neither did the staging folders.
    expect(readdirSync(join(root, 'cache', 'go-bin'))).toEqual(['tool-v1.0.0']);
    const installs = readFileSync(join(root, 'installs'), 'utf8').trim().split('\n');
    expect(installs).toHaveLength(2);
    // go wrote into a staging folder, never into the folder other processes read.
    for (const line of installs) expect(line.split(' ')[1]).toMatch(/\.partial-\d+$/);

    expect(goInstalled('tool', 'example.com/tool', ['v0.0.0-bad', 'v1.0.0'], quiet)).toBe(path);
    expect(readFileSync(join(root, 'installs'), 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('names every version that failed', () => {
    expect(() => goInstalled('tool', 'example.com/tool', ['v0.0.0-bad'], quiet)).toThrow(
      'could not build example.com/tool: v0.0.0-bad: go: no such version',
    );
    expect(existsSync(join(root, 'cache', 'go-bin', 'tool-v0.0.0-bad'))).toBe(false);
  });

  it('two processes building at once both get the whole binary', async () => {
    const module = fileURLToPath(new URL('./binaries.ts', import.meta.url));
    const build = () =>
      new Promise<string>((resolve, reject) => {
        const child = spawn(
          process.execPath,
          [
            '--import',
            'tsx',
            '-e',
            `import(${JSON.stringify(module)}).then((m) => process.stdout.write(m.goInstalled('tool', 'example.com/tool', ['v1.0.0'], () => {})))`,
          ],
          { env: process.env, stdio: ['ignore', 'pipe', 'inherit'] },
        );
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
        child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`build exited ${code}`))));
      });
    const [a, b] = await Promise.all([build(), build()]);
    expect(a).toBe(join(root, 'cache', 'go-bin', 'tool-v1.0.0', 'tool'));
    expect(b).toBe(a);
    expect(readFileSync(a, 'utf8')).toBe('half and done');
    expect(readdirSync(join(root, 'cache', 'go-bin'))).toEqual(['tool-v1.0.0']);
  });
});
