import { describe, expect, it } from 'vitest';
import { EXECUTE_VERBS } from './execute-policy.js';
import { workflowJsonSchema } from './json-schema.js';
import { sampleDefinition } from './sample.fixture.js';
import { JOB_TYPES } from './types.js';
import { ERROR_POLICIES, PARAM_SOURCES, PARAM_TYPES, RUN_POLICIES, validateDefinition } from './validate.js';

type Schema = Record<string, unknown>;

// Just enough of JSON Schema 2020-12 for the keywords json-schema.ts uses; an unknown keyword fails the test so the
// checker cannot silently ignore part of the schema.
const KNOWN = new Set([
  '$schema',
  '$id',
  '$defs',
  '$ref',
  'title',
  'description',
  'type',
  'required',
  'properties',
  'items',
  'enum',
  'const',
  'pattern',
  'minimum',
  'maximum',
  'minLength',
  'minItems',
  'allOf',
  'anyOf',
  'if',
  'then',
]);

function resolve(ref: string): Schema {
  const m = /^#\/\$defs\/(\w+)$/.exec(ref);
  const defs = workflowJsonSchema.$defs as unknown as Record<string, Schema>;
  const target = m?.[1] ? defs[m[1]] : undefined;
  if (!target) throw new Error(`unresolvable $ref ${ref}`);
  return target;
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function check(schema: Schema, v: unknown, path = '$'): string[] {
  const errors: string[] = [];
  for (const k of Object.keys(schema)) if (!KNOWN.has(k)) throw new Error(`unsupported keyword ${k} at ${path}`);
  if (typeof schema['$ref'] === 'string') errors.push(...check(resolve(schema['$ref']), v, path));
  const t = schema['type'];
  if (typeof t === 'string') {
    const actual = typeOf(v);
    if (!(actual === t || (t === 'number' && actual === 'integer')))
      return [...errors, `${path}: expected ${t}, got ${actual}`];
  }
  if (Array.isArray(schema['enum']) && !schema['enum'].includes(v)) errors.push(`${path}: not in enum`);
  if ('const' in schema && schema['const'] !== v) errors.push(`${path}: not const`);
  if (typeof schema['pattern'] === 'string' && typeof v === 'string' && !new RegExp(schema['pattern'], 'u').test(v)) {
    errors.push(`${path}: pattern`);
  }
  if (typeof schema['minimum'] === 'number' && typeof v === 'number' && v < schema['minimum'])
    errors.push(`${path}: minimum`);
  if (typeof schema['maximum'] === 'number' && typeof v === 'number' && v > schema['maximum'])
    errors.push(`${path}: maximum`);
  if (typeof schema['minLength'] === 'number' && typeof v === 'string' && v.length < schema['minLength'])
    errors.push(`${path}: minLength`);
  if (Array.isArray(v)) {
    if (typeof schema['minItems'] === 'number' && v.length < schema['minItems']) errors.push(`${path}: minItems`);
    if (schema['items'])
      v.forEach((item, i) => errors.push(...check(schema['items'] as Schema, item, `${path}[${i}]`)));
  }
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    const obj = v as Record<string, unknown>;
    for (const r of (schema['required'] as string[] | undefined) ?? [])
      if (!(r in obj)) errors.push(`${path}.${r}: required`);
    const props = (schema['properties'] as Record<string, Schema> | undefined) ?? {};
    for (const [k, s] of Object.entries(props)) if (k in obj) errors.push(...check(s, obj[k], `${path}.${k}`));
  }
  for (const s of (schema['allOf'] as Schema[] | undefined) ?? []) errors.push(...check(s, v, path));
  const anyOf = schema['anyOf'] as Schema[] | undefined;
  if (anyOf && !anyOf.some((s) => check(s, v, path).length === 0)) errors.push(`${path}: anyOf`);
  if (schema['if'] && check(schema['if'] as Schema, v, path).length === 0 && schema['then']) {
    errors.push(...check(schema['then'] as Schema, v, path));
  }
  return errors;
}

const root = workflowJsonSchema as unknown as Schema;

function enumAt(...path: string[]): unknown {
  let node: unknown = workflowJsonSchema;
  for (const p of path) node = (node as Record<string, unknown>)[p];
  return (node as Schema)['enum'];
}

describe('workflowJsonSchema', () => {
  it('is a draft 2020-12 schema whose $refs all resolve', () => {
    expect(workflowJsonSchema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    const refs: string[] = [];
    const walk = (n: unknown) => {
      if (Array.isArray(n)) n.forEach(walk);
      else if (n && typeof n === 'object') {
        for (const [k, v] of Object.entries(n)) {
          if (k === '$ref' && typeof v === 'string') refs.push(v);
          else walk(v);
        }
      }
    };
    walk(workflowJsonSchema);
    expect(refs.length).toBeGreaterThan(10);
    for (const r of refs) expect(() => resolve(r)).not.toThrow();
    expect(JSON.parse(JSON.stringify(workflowJsonSchema))).toEqual(workflowJsonSchema);
  });

  it('accepts the sample definition and its normalised form', () => {
    const sample = sampleDefinition();
    expect(check(root, sample)).toEqual([]);
    const r = validateDefinition(sample);
    expect(r.ok).toBe(true);
    if (r.ok) expect(check(root, r.value)).toEqual([]);
  });

  it('accepts env keys that are templates, as the validator does', () => {
    const d = sampleDefinition();
    (spec(d)['envs'] as Record<string, unknown>[])[0]!['key'] = '{{.workflow.params.name}}';
    expect(validateDefinition(d).ok).toBe(true);
    expect(check(root, d)).toEqual([]);
  });

  it('requires the keys the validator requires', () => {
    expect(workflowJsonSchema.required).toEqual(['name', 'project', 'stages']);
    expect(workflowJsonSchema.$defs.stage.required).toEqual(['name', 'jobs']);
    expect(workflowJsonSchema.$defs.job.required).toEqual(['name', 'type', 'spec']);
    expect(workflowJsonSchema.$defs.param.required).toEqual(['name', 'type']);
    expect(workflowJsonSchema.$defs.freestyleSpec.required).toEqual(['script']);
    expect(workflowJsonSchema.$defs.approvalSpec.required).toEqual(['native_approval']);
  });

  it('uses the same enums as the code', () => {
    expect(enumAt('$defs', 'job', 'properties', 'type')).toEqual([...JOB_TYPES]);
    expect(enumAt('$defs', 'param', 'properties', 'type')).toEqual([...PARAM_TYPES]);
    expect(enumAt('$defs', 'param', 'properties', 'source')).toEqual([...PARAM_SOURCES]);
    expect(enumAt('$defs', 'job', 'properties', 'run_policy')).toEqual([...RUN_POLICIES]);
    expect(enumAt('$defs', 'job', 'properties', 'error_policy', 'properties', 'policy')).toEqual([...ERROR_POLICIES]);
    expect(
      enumAt('$defs', 'job', 'properties', 'execute_policy', 'properties', 'rules', 'items', 'properties', 'verb'),
    ).toEqual([...EXECUTE_VERBS]);
  });

  const mutations: [string, (d: Record<string, unknown>) => void][] = [
    ['missing name', (d) => delete d['name']],
    ['bad workflow name', (d) => (d['name'] = 'a b')],
    ['missing project', (d) => delete d['project']],
    ['empty stages', (d) => (d['stages'] = [])],
    ['concurrency_limit -2', (d) => (d['concurrency_limit'] = -2)],
    ['param without type', (d) => delete (d['params'] as Record<string, unknown>[])[0]!['type']],
    ['upper-case job name', (d) => (job(d, 0, 0)['name'] = 'Compile')],
    ['unsupported job type', (d) => (job(d, 0, 0)['type'] = 'zadig-deploy')],
    ['freestyle without script', (d) => delete (job(d, 0, 0)['spec'] as Record<string, unknown>)['script']],
    ['repo without address/owner', (d) => delete repo(d)['address']],
    ['bad output name', (d) => (outputs(d)[0]!['name'] = '1X')],
    ['commit_id that is no hash', (d) => (repo(d)['commit_id'] = '--upload-pack=x')],
    ['PR number 0', (d) => (repo(d)['pr'] = 0)],
    ['env key with a space', (d) => ((spec(d)['envs'] as Record<string, unknown>[])[0]!['key'] = 'GO FLAGS')],
    ['negative timeout', (d) => (adv(d)['timeout'] = -1)],
    ['timeout over 100 years', (d) => (adv(d)['timeout'] = 1e21)],
    ['empty approvers', (d) => (nativeApproval(d)['approve_users'] = [])],
    ['bad verb', (d) => (rule(d)['verb'] = 'like')],
    ['bad run_policy', (d) => (job(d, 0, 0)['run_policy'] = 'always')],
    ['retry -1', (d) => (job(d, 0, 0)['error_policy'] = { policy: 'retry', maximum_retry: -1 })],
    [
      'enabled stage approval without approvers',
      (d) => ((d['stages'] as Record<string, unknown>[])[1]!['approval'] = { enabled: true }),
    ],
    [
      'enabled stage approval of type lark',
      (d) =>
        ((d['stages'] as Record<string, unknown>[])[1]!['approval'] = {
          enabled: true,
          type: 'lark',
          native_approval: { approve_users: [{ user_name: 'a' }] },
        }),
    ],
    ['parallel as string', (d) => ((d['stages'] as Record<string, unknown>[])[0]!['parallel'] = 'yes')],
  ];

  it.each(mutations)('rejects (like validateDefinition) a definition with %s', (_, mutate) => {
    const d = sampleDefinition();
    mutate(d);
    expect(validateDefinition(d).ok).toBe(false);
    expect(check(root, d)).not.toEqual([]);
  });
});

function job(d: Record<string, unknown>, s: number, j: number): Record<string, unknown> {
  return ((d['stages'] as Record<string, unknown>[])[s]!['jobs'] as Record<string, unknown>[])[j]!;
}
function spec(d: Record<string, unknown>): Record<string, unknown> {
  return job(d, 0, 0)['spec'] as Record<string, unknown>;
}
function repo(d: Record<string, unknown>): Record<string, unknown> {
  return (spec(d)['repos'] as Record<string, unknown>[])[0]!;
}
function adv(d: Record<string, unknown>): Record<string, unknown> {
  return spec(d)['advanced_setting'] as Record<string, unknown>;
}
function outputs(d: Record<string, unknown>): Record<string, unknown>[] {
  return adv(d)['outputs'] as Record<string, unknown>[];
}
function rule(d: Record<string, unknown>): Record<string, unknown> {
  return ((job(d, 0, 0)['execute_policy'] as Record<string, unknown>)['rules'] as Record<string, unknown>[])[0]!;
}
function nativeApproval(d: Record<string, unknown>): Record<string, unknown> {
  return (job(d, 1, 0)['spec'] as Record<string, unknown>)['native_approval'] as Record<string, unknown>;
}
