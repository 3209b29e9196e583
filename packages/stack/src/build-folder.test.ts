import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { publishStaging, stagingFolder } from './build-folder.js';

const isComplete = (dir: string) => existsSync(join(dir, 'COMPLETE'));

function finishedBuild(staging: string, content: string): void {
  writeFileSync(join(staging, 'bin'), content);
  writeFileSync(join(staging, 'COMPLETE'), '');
}

/** The pid of a process that has exited. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout);
}

describe('build folders several processes may build at once', () => {
  it('each build stages in a folder of its own; folders of builds whose process is gone are removed', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'build-folder-')), 'bins');
    const abandoned = `${dir}.partial-${deadPid()}`;
    const legacy = `${dir}.partial`;
    const running = `${dir}.partial-${process.ppid}`;
    for (const folder of [abandoned, legacy, running]) mkdirSync(folder, { recursive: true });

    const staging = stagingFolder(dir);
    expect(staging).toBe(`${dir}.partial-${process.pid}`);
    expect(existsSync(staging)).toBe(true);
    expect(existsSync(abandoned)).toBe(false);
    expect(existsSync(legacy)).toBe(false);
    expect(existsSync(running)).toBe(true);
  });

  it('the first finished build moves into place; a later one leaves it and discards its own', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'build-folder-')), 'bins');
    const first = `${dir}.partial-1`;
    const second = `${dir}.partial-2`;
    for (const folder of [first, second]) mkdirSync(folder);
    finishedBuild(first, 'first');
    finishedBuild(second, 'second');

    publishStaging(first, dir, isComplete);
    publishStaging(second, dir, isComplete);
    expect(readFileSync(join(dir, 'bin'), 'utf8')).toBe('first');
    expect(existsSync(first)).toBe(false);
    expect(existsSync(second)).toBe(false);
  });

  it('an incomplete folder in the way is replaced', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'build-folder-')), 'bins');
    mkdirSync(dir);
    writeFileSync(join(dir, 'bin'), 'half');
    const staging = `${dir}.partial-1`;
    mkdirSync(staging);
    finishedBuild(staging, 'whole');

    publishStaging(staging, dir, isComplete);
    expect(readFileSync(join(dir, 'bin'), 'utf8')).toBe('whole');
  });
});
