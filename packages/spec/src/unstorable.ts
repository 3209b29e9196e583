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

const NUL_MESSAGE = 'contains a NUL character, which cannot be stored';

/**
 * The first part of `value` that must be refused before anything is written: nesting deeper than
 * MAX_NESTING_DEPTH or a value that contains itself (a YAML alias to a node around it), which code
 * walking the value could not get through, else a string or object key holding a NUL character
 * (PostgreSQL stores none, in text or jsonb). Undefined when there is none.
 */
export function unstorablePart(value: unknown): UnstorablePart | undefined {
  const path: (string | number)[] = [];
  const ancestors = new Set<object>();
  let nul: UnstorablePart | undefined;
  const at = (kind: UnstorablePart['kind'], message: string, last?: string | number): UnstorablePart => ({
    path: last === undefined ? [...path] : [...path, last],
    kind,
    message,
  });

  const walk = (item: unknown): UnstorablePart | undefined => {
    if (typeof item === 'string') {
      if (item.includes('\u0000')) nul ??= at('nul', NUL_MESSAGE);
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
      if (typeof key === 'string' && key.includes('\u0000'))
        nul ??= at('nul', NUL_MESSAGE, key.replaceAll('\u0000', '\\u0000'));
      path.push(key);
      const found = walk(child);
      path.pop();
      if (found) return found;
    }
    // A value may appear in several places (a YAML alias); only one that contains itself is refused.
    ancestors.delete(item);
    return undefined;
  };
  return walk(value) ?? nul;
}
