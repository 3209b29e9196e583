import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FreestyleSpec } from '@stagecoach/spec';
import { FreestyleSpecError } from './errors.js';

/** Output names become shell variable names in generated code, so nothing else may pass. */
const OUTPUT_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Zadig's default freestyle/build timeout (minutes); the reference gives none for freestyle explicitly. */
export const DEFAULT_TIMEOUT_MINUTES = 60;

export function timeoutMsOf(spec: FreestyleSpec): number {
  const minutes = spec.advanced_setting?.timeout;
  return typeof minutes === 'number' && Number.isFinite(minutes) && minutes > 0
    ? minutes * 60_000
    : DEFAULT_TIMEOUT_MINUTES * 60_000;
}

export function outputNames(spec: FreestyleSpec): string[] {
  const names = (spec.advanced_setting?.outputs ?? []).map((o) => o.name);
  for (const name of names) {
    if (!OUTPUT_NAME.test(name)) throw new FreestyleSpecError(`output name "${name}" is not a valid variable name`);
  }
  return [...new Set(names)];
}

export function checkScriptType(spec: FreestyleSpec): void {
  const type = spec.script_type ?? 'shell';
  if (type !== 'shell') throw new FreestyleSpecError(`script_type "${String(type)}" is not supported (only shell)`);
}

/** Single-quotes for bash: safe for any byte string. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * `printf` rather than Zadig's `echo $NAME`: echo would eat a value such as `-n` and word-split/glob an
 * unquoted one. `set +eux` (Zadig: `set +ex`) so the saving lines neither trace, nor stop, nor trip on an
 * unset output variable under the user's `set -u`.
 */
function saveLines(names: readonly string[], resultsDir: string): string[] {
  return ['set +eux', ...names.map((name) => `printf '%s\\n' "\${${name}-}" > ${shellQuote(join(resultsDir, name))}`)];
}

/**
 * The user's script as Zadig runs it: its text (line endings normalised as Zadig's replaceWrapLine does)
 * followed by the lines that save each declared output. The script file itself starts with the user's
 * first line, so bash's "line N" error messages match what the user wrote.
 */
export function buildScript(script: string, names: readonly string[], resultsDir: string): string {
  const body = script.replace(/\r\n?/g, '\n');
  if (names.length === 0) return body.endsWith('\n') ? body : `${body}\n`;
  // Zadig's appended lines make the script's status their own (0), so a script whose last command fails
  // would pass only because it declares outputs; keep the script's status instead.
  return [body, '__stagecoach_rc=$?', ...saveLines(names, resultsDir), 'exit "$__stagecoach_rc"', ''].join('\n');
}

/**
 * Loaded through BASH_ENV before the script runs. Zadig's appended lines never run when a script ends early
 * (`exit 0` in the middle) or fails under `set -e`; this EXIT trap saves the outputs in those cases too, and
 * exits with the script's own status so a failing script still fails. Zadig's appended lines are kept as
 * well: they still work when the script replaces our trap with its own `trap ... EXIT`.
 * BASH_ENV is unset first so bash scripts the job starts do not load it (and overwrite the outputs).
 */
export function buildPrelude(names: readonly string[], resultsDir: string): string {
  return [
    'unset BASH_ENV',
    '__stagecoach_save_outputs() {',
    ...saveLines(names, resultsDir).map((line) => `  ${line}`),
    '}',
    `trap '__stagecoach_rc=$?; __stagecoach_save_outputs; exit "$__stagecoach_rc"' EXIT`,
    '',
  ].join('\n');
}

/** Each output file holds the value plus the newline printf added; a missing file is an empty output. */
export async function readOutputs(names: readonly string[], resultsDir: string): Promise<Record<string, string>> {
  const outputs: Record<string, string> = {};
  for (const name of names) {
    try {
      const raw = await readFile(join(resultsDir, name), 'utf8');
      outputs[name] = raw.endsWith('\n') ? raw.slice(0, -1) : raw;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      outputs[name] = '';
    }
  }
  return outputs;
}
