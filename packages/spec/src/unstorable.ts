/**
 * How deep request bodies and definitions may nest. A Zadig workflow definition reaches about a dozen
 * levels; code that walks values recursively (validation, rendering, this check) must not be handed
 * one deep enough to overflow its stack.
 */
export const MAX_NESTING_DEPTH = 64;

/** The first part of a value that cannot be accepted: where (keys and array indices) and why. */
export interface UnstorablePart {
  path: (string | number)[];
  /** `nul` leaves the value walkable; `depth` and `cycle` do not */
  kind: 'nul' | 'depth' | 'cycle';
  message: string;
}

const nul = (path: (string | number)[]): UnstorablePart => ({
  path,
  kind: 'nul',
  message: 'contains a NUL character, which cannot be stored',
});

/**
 * The first part of `value` that must be refused before anything is written: a string or object key
 * holding a NUL character (PostgreSQL stores none, in text or jsonb), nesting deeper than
 * MAX_NESTING_DEPTH, or a value that contains itself (a YAML alias to a node around it). Undefined
 * when there is none.
 */
export function unstorablePart(value: unknown): UnstorablePart | undefined {
  return walk(value, 0, new Set());
}

function walk(value: unknown, depth: number, ancestors: Set<object>): UnstorablePart | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? nul([]) : undefined;
  if (!value || typeof value !== 'object') return undefined;
  if (ancestors.has(value))
    return { path: [], kind: 'cycle', message: 'contains itself (a YAML alias to a node around it)' };
  if (depth === MAX_NESTING_DEPTH)
    return { path: [], kind: 'depth', message: `nests deeper than ${MAX_NESTING_DEPTH} levels` };
  ancestors.add(value);
  const entries: [string | number, unknown][] = Array.isArray(value)
    ? value.map((item, i) => [i, item])
    : Object.entries(value);
  for (const [key, item] of entries) {
    if (typeof key === 'string' && key.includes('\u0000')) {
      return nul([key.replaceAll('\u0000', '\\u0000')]);
    }
    const found = walk(item, depth + 1, ancestors);
    if (found) return { ...found, path: [key, ...found.path] };
  }
  // A value may appear in several places (a YAML alias); only one that contains itself is refused.
  ancestors.delete(value);
  return undefined;
}
