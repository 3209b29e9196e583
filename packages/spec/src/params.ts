import type { Param, SpecIssue } from './types.js';

export type RunParamsResult =
  { ok: true; values: Record<string, string>; secrets: Record<string, string> } | { ok: false; issues: SpecIssue[] };

function optionList(options: readonly string[] | undefined): string {
  return (options ?? []).map((o) => JSON.stringify(o)).join(', ');
}

function definedDefault(p: Param): string {
  if (p.type === 'multi-select' && p.choice_value && p.choice_value.length > 0) return p.choice_value.join(',');
  return p.value || p.default || '';
}

/**
 * Values of the workflow params for one run. `fixed` and `reference` params keep their defined value (a reference
 * expression is rendered later like any other text); runtime params take the supplied value, else `value`, else
 * `default`. Credential params go to `secrets` so they can be kept out of histories and logs.
 */
export function resolveRunParams(
  defParams: readonly Param[],
  supplied: Readonly<Record<string, string>> | undefined,
): RunParamsResult {
  const issues: SpecIssue[] = [];
  const values: Record<string, string> = {};
  const secrets: Record<string, string> = {};
  const given = supplied ?? {};
  const known = new Set(defParams.map((p) => p.name));

  for (const p of defParams) {
    const path = `params.${p.name}`;
    const source = p.source ?? 'runtime';
    const isSupplied = Object.hasOwn(given, p.name) && given[p.name] !== undefined;
    let value = definedDefault(p);

    if (source !== 'runtime') {
      if (isSupplied)
        issues.push({ path, message: `param "${p.name}" is ${source} and cannot be set when starting a run` });
    } else if (isSupplied) {
      const raw: unknown = given[p.name];
      if (typeof raw !== 'string') {
        issues.push({ path, message: 'must be a string' });
        continue;
      }
      // A supplied value is substituted into the job and rendered again later: a variable inside it
      // could pull in values its author may not see (a credential param filled in by the activity).
      if (raw.includes('{{.')) {
        issues.push({ path, message: 'must not contain a variable reference ({{.…}})' });
        continue;
      }
      value = raw;
    }

    if (p.type === 'multi-select') {
      const parts = value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
      for (const part of parts) {
        if (!(p.choice_option ?? []).includes(part)) {
          issues.push({ path, message: `"${part}" is not one of the options ${optionList(p.choice_option)}` });
        }
      }
      value = parts.join(',');
    } else if (p.type === 'choice' && value !== '' && !(p.choice_option ?? []).includes(value)) {
      issues.push({ path, message: `"${value}" is not one of the options ${optionList(p.choice_option)}` });
    }

    if (p.required && value === '') issues.push({ path, message: `param "${p.name}" is required` });

    if (p.is_credential) secrets[p.name] = value;
    else values[p.name] = value;
  }

  for (const name of Object.keys(given)) {
    if (!known.has(name)) issues.push({ path: `params.${name}`, message: `unknown param "${name}"` });
  }

  return issues.length > 0 ? { ok: false, issues } : { ok: true, values, secrets };
}
