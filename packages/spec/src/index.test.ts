import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as spec from './index.js';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Every module reachable from `entry`, following relative imports; with `runtimeOnly`, not through
 * `import type` / `export type` (erased at compile time, so never evaluated).
 */
function reachable(entry: string, runtimeOnly = false): Map<string, string> {
  const seen = new Map<string, string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    const text = readFileSync(join(here, file), 'utf8');
    seen.set(file, text);
    for (const m of text.matchAll(/(?:import|export)([^'";]*?)from\s+'([^']+)'/g)) {
      if (runtimeOnly && /^\s*type\b/.test(m[1]!)) continue;
      const target = m[2]!;
      if (target.startsWith('./')) visit(target.slice(2).replace(/\.js$/, '.ts'));
    }
  };
  visit(entry);
  return seen;
}

describe('package root entry (imported by Temporal workflow code)', () => {
  const modules = reachable('index.ts');

  it('reaches the expected modules and not the loader', () => {
    expect([...modules.keys()].sort()).toEqual([
      'channel-secrets.ts',
      'checker.ts',
      'compensation.ts',
      'execute-policy.ts',
      'index.ts',
      'json-duplicates.ts',
      'json-schema.ts',
      'kube-specs.ts',
      'notify.ts',
      'params.ts',
      'recipients.ts',
      'render.ts',
      'status.ts',
      'types.ts',
      'unstorable.ts',
      'users.ts',
      'validate.ts',
    ]);
  });

  it('imports nothing but sibling modules', () => {
    for (const [file, text] of modules) {
      for (const m of text.matchAll(/(?:import|export)[^'";]*?from\s+'([^']+)'/g)) {
        expect(`${file}: ${m[1]}`).toMatch(/: \.\/[\w-]+\.js$/);
      }
      expect(text).not.toMatch(/\brequire\(|\bimport\(/);
    }
  });

  it('uses no clocks, randomness or mutable module state', () => {
    for (const [file, text] of modules) {
      expect(`${file}: ${/Date\.now|new Date|Math\.random|crypto|process\./.exec(text)?.[0] ?? ''}`).toBe(`${file}: `);
      expect(`${file}: ${/^(?:export\s+)?(?:let|var)\s/m.exec(text)?.[0] ?? ''}`).toBe(`${file}: `);
    }
  });

  it('exports the public API', () => {
    for (const name of [
      'JOB_TYPES',
      'KUBE_JOB_TYPES',
      'COMPENSATING_JOB_TYPES',
      'validateDefinition',
      'VARIABLE_RE',
      'renderString',
      'renderJob',
      'builtinValues',
      'jobOutputKey',
      'jobStatusKey',
      'jobStartTimeKey',
      'resolveRunParams',
      'stageStatusFromJobs',
      'runStatusFromStages',
      'isFailedish',
      'isDone',
      'isTerminal',
      'shouldExecute',
      'workflowJsonSchema',
      'isListedUser',
      'listedUserNames',
    ]) {
      expect(spec, name).toHaveProperty(name);
    }
    expect(spec).not.toHaveProperty('loadDefinition');
  });
});

describe('sandbox entry (what Temporal workflow code evaluates)', () => {
  it('evaluates only the renderer, status tables, user lists and recipients', () => {
    expect([...reachable('sandbox.ts', true).keys()].sort()).toEqual([
      'compensation.ts',
      'execute-policy.ts',
      'recipients.ts',
      'render.ts',
      'sandbox.ts',
      'status.ts',
      'users.ts',
    ]);
  });

  it('offers what the run workflow uses', async () => {
    const sandbox = await import('./sandbox.js');
    for (const name of [
      'COMPENSATING_JOB_TYPES',
      'renderJob',
      'builtinValues',
      'stageStatusFromJobs',
      'isListedUser',
    ]) {
      expect(sandbox, name).toHaveProperty(name);
    }
    expect(sandbox).not.toHaveProperty('validateDefinition');
  });
});
