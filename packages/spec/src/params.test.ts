import { describe, expect, it } from 'vitest';
import { resolveRunParams } from './params.js';
import type { Param } from './types.js';

const defs: Param[] = [
  { name: 'env', type: 'choice', choice_option: ['dev', 'prod'], value: 'dev' },
  { name: 'msg', type: 'string', default: 'hello' },
  { name: 'tag', type: 'string', value: 'v1', default: 'v0' },
  { name: 'region', type: 'string', value: 'eu', source: 'fixed' },
  { name: 'svcs', type: 'multi-select', choice_option: ['a', 'b', 'c'], choice_value: ['a', 'c'] },
  { name: 'token', type: 'string', is_credential: true, value: 'default-token' },
  { name: 'notes', type: 'text' },
];

describe('resolveRunParams', () => {
  it('uses defined values when nothing is supplied', () => {
    expect(resolveRunParams(defs, undefined)).toEqual({
      ok: true,
      values: { env: 'dev', msg: 'hello', tag: 'v1', region: 'eu', svcs: 'a,c', notes: '' },
      secrets: { token: 'default-token' },
    });
  });

  it('takes supplied runtime values, normalising multi-select', () => {
    const r = resolveRunParams(defs, { env: 'prod', msg: '', svcs: ' b , a,', token: 's3cret', notes: 'x\ny' });
    expect(r).toEqual({
      ok: true,
      values: { env: 'prod', msg: '', tag: 'v1', region: 'eu', svcs: 'b,a', notes: 'x\ny' },
      secrets: { token: 's3cret' },
    });
  });

  it('falls back to default when value is empty', () => {
    expect(resolveRunParams([{ name: 'p', type: 'string', value: '', default: 'd' }], {})).toEqual({
      ok: true,
      values: { p: 'd' },
      secrets: {},
    });
  });

  it('reports every problem with its path', () => {
    const r = resolveRunParams(
      [
        ...defs,
        { name: 'must', type: 'string', required: true },
        { name: 'ref', type: 'string', source: 'reference', value: '{{.job.a.output.X}}' },
      ],
      { env: 'staging', region: 'us', svcs: 'a,z', ref: 'x', bogus: '1', other: '2' },
    );
    expect(r).toEqual({
      ok: false,
      issues: [
        { path: 'params.env', message: '"staging" is not one of the options "dev", "prod"' },
        { path: 'params.region', message: 'param "region" is fixed and cannot be set when starting a run' },
        { path: 'params.svcs', message: '"z" is not one of the options "a", "b", "c"' },
        { path: 'params.must', message: 'param "must" is required' },
        { path: 'params.ref', message: 'param "ref" is reference and cannot be set when starting a run' },
        { path: 'params.bogus', message: 'unknown param "bogus"' },
        { path: 'params.other', message: 'unknown param "other"' },
      ],
    });
  });

  it('required applies to the resolved value, including defaults and credentials', () => {
    const req: Param[] = [
      { name: 'a', type: 'string', required: true, default: 'x' },
      { name: 'b', type: 'string', required: true, is_credential: true },
      { name: 'c', type: 'multi-select', required: true, choice_option: ['x'] },
    ];
    expect(resolveRunParams(req, { c: ' , ' })).toEqual({
      ok: false,
      issues: [
        { path: 'params.b', message: 'param "b" is required' },
        { path: 'params.c', message: 'param "c" is required' },
      ],
    });
    expect(resolveRunParams(req, { b: 'k', c: 'x' })).toEqual({
      ok: true,
      values: { a: 'x', c: 'x' },
      secrets: { b: 'k' },
    });
  });

  it('allows an empty choice unless required', () => {
    const p: Param[] = [{ name: 'env', type: 'choice', choice_option: ['dev'] }];
    expect(resolveRunParams(p, { env: '' })).toEqual({ ok: true, values: { env: '' }, secrets: {} });
    expect(resolveRunParams([{ ...p[0]!, required: true }], { env: '' })).toEqual({
      ok: false,
      issues: [{ path: 'params.env', message: 'param "env" is required' }],
    });
  });

  it('rejects a non-string supplied value', () => {
    expect(resolveRunParams([{ name: 'n', type: 'string' }], { n: 3 as unknown as string })).toEqual({
      ok: false,
      issues: [{ path: 'params.n', message: 'must be a string' }],
    });
  });

  it('ignores supplied keys whose value is undefined', () => {
    expect(
      resolveRunParams([{ name: 'n', type: 'string', value: 'v' }], { n: undefined as unknown as string }),
    ).toEqual({
      ok: true,
      values: { n: 'v' },
      secrets: {},
    });
  });

  it('does not treat Object.prototype names as known params', () => {
    expect(resolveRunParams([], { constructor: 'x' })).toEqual({
      ok: false,
      issues: [{ path: 'params.constructor', message: 'unknown param "constructor"' }],
    });
  });

  it('checks a defined default against the options too', () => {
    expect(resolveRunParams([{ name: 'e', type: 'choice', choice_option: ['a'], value: 'b' }], {})).toEqual({
      ok: false,
      issues: [{ path: 'params.e', message: '"b" is not one of the options "a"' }],
    });
  });
});

describe('resolveRunParams and variables in supplied values', () => {
  it('refuses a supplied value that would be rendered as a variable', () => {
    const result = resolveRunParams(
      [
        { name: 'token', type: 'string', is_credential: true },
        { name: 'note', type: 'string' },
      ],
      { note: 'leak {{.workflow.params.token}}' },
    );
    expect(result).toEqual({
      ok: false,
      issues: [{ path: 'params.note', message: 'must not contain a variable reference ({{.…}})' }],
    });
  });
});
