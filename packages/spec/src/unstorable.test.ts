import { describe, expect, it } from 'vitest';
import { MAX_NESTING_DEPTH, unstorablePart } from './unstorable.js';

/** `levels` arrays, one inside the other, around `inner`. */
const nested = (levels: number, inner: unknown = 'x'): unknown =>
  Array.from({ length: levels }).reduce<unknown>((value) => [value], inner);

describe('unstorablePart', () => {
  it('finds a NUL in a string or a key, with its path', () => {
    expect(unstorablePart({ env: [{ name: 'ok' }, { name: 'a\u0000b' }] })).toEqual({
      path: ['env', 1, 'name'],
      kind: 'text',
      message: 'contains a NUL character, which cannot be stored',
    });
    expect(unstorablePart({ spec: { 'k\u0000': 1 } })?.path).toEqual(['spec', 'k\\u0000']);
    expect(unstorablePart({ a: [1, true, null, 'plain'] })).toBeUndefined();
  });

  it('finds half of a surrogate pair in a string or a key, and accepts whole pairs', () => {
    const lone = 'contains half of a UTF-16 surrogate pair, which is not Unicode text and cannot be stored';
    expect(unstorablePart({ description: 'bad \ud800 here' })).toEqual({
      path: ['description'],
      kind: 'text',
      message: lone,
    });
    expect(unstorablePart({ d: 'ends high \ud83d' })?.message).toBe(lone);
    expect(unstorablePart({ d: '\udfff starts low' })?.message).toBe(lone);
    expect(unstorablePart({ d: 'backwards \ude00\ud83d' })?.message).toBe(lone);
    expect(unstorablePart({ spec: { ['k\udc00']: 1 } })?.path).toEqual(['spec', 'k\\udc00']);
    expect(unstorablePart({ d: 'a whole pair 😀, and 名字' })).toBeUndefined();
  });

  it(`accepts ${MAX_NESTING_DEPTH} levels of nesting and refuses one more where it begins`, () => {
    expect(unstorablePart(nested(MAX_NESTING_DEPTH))).toBeUndefined();
    const tooDeep = unstorablePart({ a: nested(MAX_NESTING_DEPTH) });
    expect(tooDeep?.kind).toBe('depth');
    expect(tooDeep?.message).toBe(`nests deeper than ${MAX_NESTING_DEPTH} levels`);
    expect(tooDeep?.path).toEqual(['a', ...Array<number>(MAX_NESTING_DEPTH - 1).fill(0)]);
    // The walk stops at the limit: a value deeper than the stack could take is still an answer.
    expect(unstorablePart(nested(200_000))?.kind).toBe('depth');
  });

  it('refuses a value that contains itself, and accepts one seen in several places', () => {
    const loop: unknown[] = [];
    loop.push({ again: loop });
    expect(unstorablePart({ a: loop })).toMatchObject({ path: ['a', 0, 'again'], kind: 'cycle' });
    // What the walk cannot get through is named before a NUL met on the way there.
    expect(unstorablePart({ name: 'a\u0000', stages: loop })).toMatchObject({
      path: ['stages', 0, 'again'],
      kind: 'cycle',
    });
    const shared = { image: 'x' };
    expect(unstorablePart({ a: shared, b: [shared, shared] })).toBeUndefined();
  });
});
