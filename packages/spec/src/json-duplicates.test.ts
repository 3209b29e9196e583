import { describe, expect, it } from 'vitest';
import { repeatedJsonKey } from './json-duplicates.js';

const pathOf = (text: string) => repeatedJsonKey(text)?.path;

describe('repeatedJsonKey', () => {
  it('finds a key named twice, at any depth, and says where', () => {
    expect(repeatedJsonKey('{"a": 1, "a": 2}')).toEqual({ path: ['a'], offset: 9 });
    expect(pathOf('{"0": [], "x": {"0": 1, "0": 2}}')).toEqual(['x', '0']);
    expect(pathOf('{"stages": [{"jobs": []}, {"jobs": [{"name": "x", "spec": {"s": 1, "s": 2}}]}]}')).toEqual([
      'stages',
      1,
      'jobs',
      0,
      'spec',
      's',
    ]);
    expect(pathOf('[[1, 2], {"b": {}, "c": [], "b": null}]')).toEqual([1, 'b']);
  });

  it('takes escapes as the characters they spell', () => {
    expect(pathOf('{"ab": 1, "a\\u0062": 2}')).toEqual(['ab']);
    expect(pathOf('{"a\\"": 1, "a\\\\": 2}')).toBeUndefined();
  });

  it('passes the same key in different objects, and braces, quotes and commas inside strings', () => {
    expect(pathOf('[{"a": 1}, {"a": 2}]')).toBeUndefined();
    expect(pathOf('{"a": {"a": {"a": 1}}}')).toBeUndefined();
    expect(pathOf('{"a": "}, \\"a\\": {", "b": "[,", "c": ["a", "a"]}')).toBeUndefined();
    expect(pathOf('"a"')).toBeUndefined();
  });

  it('walks nesting of any depth without recursion', () => {
    const depth = 200_000;
    const deep = `${'{"k": ['.repeat(depth)}1${']}'.repeat(depth)}`;
    expect(pathOf(deep)).toBeUndefined();
    expect(pathOf(`${'['.repeat(depth)}{"x": 1, "x": 2}${']'.repeat(depth)}`)).toHaveLength(depth + 1);
  });
});
