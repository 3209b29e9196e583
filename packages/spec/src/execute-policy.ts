import type { ExecutePolicy } from './types.js';

export const EXECUTE_VERBS = [
  '=',
  '!=',
  'begins_with',
  'not_begins_with',
  'ends_with',
  'not_ends_with',
  'contains',
  'not_contains',
] as const;

/** One rule as Zadig's `evaluateExecuteRule` does it: case-sensitive, no trimming; unknown verbs are false. */
export function evaluateRule(field: string, verb: string, value: string): boolean {
  switch (verb) {
    case '=':
      return field === value;
    case '!=':
      return field !== value;
    case 'begins_with':
      return field.startsWith(value);
    case 'not_begins_with':
      return !field.startsWith(value);
    case 'ends_with':
      return field.endsWith(value);
    case 'not_ends_with':
      return !field.endsWith(value);
    case 'contains':
      return field.includes(value);
    case 'not_contains':
      return !field.includes(value);
    default:
      return false;
  }
}

/**
 * Zadig's `shouldExecuteJob`. `render` resolves variables; it is applied to both `field` and `value` because Zadig
 * renders the whole job JSON (rules included) before evaluating. No policy, no rules or an unknown `type` ⇒ run;
 * an unknown `match_rule` behaves as `all`. Rules are evaluated lazily, like Zadig's loops.
 */
export function shouldExecute(policy: ExecutePolicy | undefined, render: (field: string) => string): boolean {
  const rules = policy?.rules;
  if (!policy || !rules || rules.length === 0) return true;
  const test = (r: ExecutePolicy['rules'][number]) => evaluateRule(render(r.field), r.verb, render(r.value ?? ''));
  const matched = policy.match_rule === 'any' ? rules.some(test) : rules.every(test);
  if (policy.type === 'skip') return !matched;
  if (policy.type === 'execute') return matched;
  return true;
}
