/**
 * How deep request bodies and definitions may nest. A Zadig workflow definition reaches about a dozen
 * levels; code that walks values recursively (validation, rendering, this check) must not be handed
 * one deep enough to overflow its stack.
 */
export const MAX_NESTING_DEPTH = 64;

/** The first part of a value that cannot be accepted: where (keys and array indices) and why. */
export interface UnstorablePart {
  path: (string | number)[];
  /** `text` (a string that cannot be stored) leaves the value walkable; `depth` and `cycle` do not */
  kind: 'text' | 'depth' | 'cycle';
  message: string;
}

const NUL_MESSAGE = 'contains a NUL character, which cannot be stored';
const SURROGATE_MESSAGE = 'contains half of a UTF-16 surrogate pair, which is not Unicode text and cannot be stored';

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why a string (a value or a key) cannot be stored, or undefined. */
function textProblem(text: string): string | undefined {
  if (text.includes('\u0000')) return NUL_MESSAGE;
  if (LONE_SURROGATE.test(text)) return SURROGATE_MESSAGE;
  return undefined;
}

/** A key as a path names it: what cannot be shown escaped. */
const printable = (key: string) =>
  key.replace(/\u0000|[\uD800-\uDFFF]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/**
 * The first part of `value` that must be refused before anything is written: nesting deeper than
 * MAX_NESTING_DEPTH or a value that contains itself (a YAML alias to a node around it), which code
 * walking the value could not get through, else a string or object key holding a NUL character
 * (PostgreSQL stores none, in text or jsonb) or a lone UTF-16 surrogate (JSON can escape one, jsonb
 * refuses it, text would store it altered). Undefined when there is none.
 */
export function unstorablePart(value: unknown): UnstorablePart | undefined {
  const path: (string | number)[] = [];
  const ancestors = new Set<object>();
  let badText: UnstorablePart | undefined;
  const at = (kind: UnstorablePart['kind'], message: string, last?: string | number): UnstorablePart => ({
    path: last === undefined ? [...path] : [...path, last],
    kind,
    message,
  });

  const walk = (item: unknown): UnstorablePart | undefined => {
    if (typeof item === 'string') {
      const problem = badText ? undefined : textProblem(item);
      if (problem) badText = at('text', problem);
      return undefined;
    }
    if (!item || typeof item !== 'object') return undefined;
    if (ancestors.has(item)) return at('cycle', 'contains itself (a YAML alias to a node around it)');
    if (path.length === MAX_NESTING_DEPTH) return at('depth', `nests deeper than ${MAX_NESTING_DEPTH} levels`);
    ancestors.add(item);
    const entries: [string | number, unknown][] = Array.isArray(item)
      ? item.map((child, i) => [i, child])
      : Object.entries(item);
    for (const [key, child] of entries) {
      const problem = typeof key === 'string' && !badText ? textProblem(key) : undefined;
      if (problem) badText = at('text', problem, printable(key as string));
      path.push(key);
      const found = walk(child);
      path.pop();
      if (found) return found;
    }
    // A value may appear in several places (a YAML alias); only one that contains itself is refused.
    ancestors.delete(item);
    return undefined;
  };
  return walk(value) ?? badText;
}
