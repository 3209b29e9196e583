/**
 * Where in `value` a string or an object key holds a NUL character, as path segments (keys and
 * array indices), or undefined. PostgreSQL stores no NUL in text or jsonb, so such input is refused
 * with this path before anything is written.
 */
export function nulPath(value: unknown): (string | number)[] | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? [] : undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = nulPath(value[i]);
      if (found) return [i, ...found];
    }
    return undefined;
  }
  if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (key.includes('\u0000')) return [key.replaceAll('\u0000', '\\u0000')];
      const found = nulPath(item);
      if (found) return [key, ...found];
    }
  }
  return undefined;
}
