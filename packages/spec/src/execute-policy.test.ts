import { describe, expect, it } from 'vitest';
import { evaluateRule, shouldExecute } from './execute-policy.js';
import type { ExecutePolicy } from './types.js';

const identity = (s: string) => s;

describe('evaluateRule', () => {
  it.each([
    ['prod', '=', 'prod', true],
    ['prod', '=', 'Prod', false],
    ['prod', '!=', 'dev', true],
    ['prod', '!=', 'prod', false],
    ['release/1.2', 'begins_with', 'release/', true],
    ['feature/x', 'begins_with', 'release/', false],
    ['feature/x', 'not_begins_with', 'release/', true],
    ['release/1.2', 'not_begins_with', 'release/', false],
    ['app.tar.gz', 'ends_with', '.gz', true],
    ['app.zip', 'ends_with', '.gz', false],
    ['app.zip', 'not_ends_with', '.gz', true],
    ['app.gz', 'not_ends_with', '.gz', false],
    ['hotfix-123', 'contains', 'fix', true],
    ['feature', 'contains', 'fix', false],
    ['feature', 'not_contains', 'fix', true],
    ['hotfix', 'not_contains', 'fix', false],
    ['', '=', '', true],
    ['x', 'begins_with', '', true],
    ['x', 'not_contains', '', false],
    ['prod', 'matches', 'prod', false],
    ['prod', '==', 'prod', false],
    ['prod', '', 'prod', false],
  ])('%j %s %j → %s', (field, verb, value, expected) => {
    expect(evaluateRule(field, verb, value)).toBe(expected);
  });
});

describe('shouldExecute', () => {
  const vars: Record<string, string> = { '{{.env}}': 'prod', '{{.branch}}': 'main', '{{.want}}': 'prod' };
  const render = (s: string) => vars[s] ?? s;

  it('runs without a policy or without rules', () => {
    expect(shouldExecute(undefined, identity)).toBe(true);
    expect(shouldExecute({ type: 'execute', rules: [] }, identity)).toBe(true);
    expect(shouldExecute({ type: 'skip', rules: [] }, identity)).toBe(true);
  });

  const two = (type: 'execute' | 'skip', match_rule?: 'all' | 'any'): ExecutePolicy => ({
    type,
    ...(match_rule ? { match_rule } : {}),
    rules: [
      { field: '{{.env}}', verb: '=', value: 'prod' },
      { field: '{{.branch}}', verb: '=', value: 'release' },
    ],
  });

  it('all (default): every rule must match', () => {
    expect(shouldExecute(two('execute'), render)).toBe(false);
    expect(shouldExecute(two('execute', 'all'), render)).toBe(false);
    expect(shouldExecute(two('skip'), render)).toBe(true);
  });

  it('any: one matching rule is enough', () => {
    expect(shouldExecute(two('execute', 'any'), render)).toBe(true);
    expect(shouldExecute(two('skip', 'any'), render)).toBe(false);
  });

  it('unknown match_rule behaves as all; unknown type runs', () => {
    expect(shouldExecute({ ...two('execute'), match_rule: 'some' as 'all' }, render)).toBe(false);
    expect(shouldExecute({ ...two('execute', 'any'), type: 'maybe' as 'skip' }, render)).toBe(true);
  });

  it('renders value as well as field', () => {
    expect(
      shouldExecute({ type: 'execute', rules: [{ field: '{{.env}}', verb: '=', value: '{{.want}}' }] }, render),
    ).toBe(true);
  });

  it('an unknown verb never matches', () => {
    const p: ExecutePolicy = { type: 'execute', rules: [{ field: 'a', verb: 'regex', value: 'a' }] };
    expect(shouldExecute(p, identity)).toBe(false);
    expect(shouldExecute({ ...p, type: 'skip' }, identity)).toBe(true);
  });

  it('stops evaluating at the first decisive rule, like Zadig', () => {
    const seen: string[] = [];
    const spy = (s: string) => (seen.push(s), s);
    const rules = [
      { field: 'a', verb: '=', value: 'b' },
      { field: 'c', verb: '=', value: 'c' },
    ];
    shouldExecute({ type: 'execute', match_rule: 'all', rules }, spy);
    expect(seen).toEqual(['a', 'b']);
    seen.length = 0;
    shouldExecute({ type: 'execute', match_rule: 'any', rules: [rules[1]!, rules[0]!] }, spy);
    expect(seen).toEqual(['c', 'c']);
  });
});
