import { describe, expect, it } from 'vitest';
import { loadDefinition, pathSegments } from './load.js';
import { MAX_NESTING_DEPTH } from './unstorable.js';

const VALID_YAML = `# comment line
name: build-deploy
project: demo
multi_run: false
params:
  - name: env
    type: choice
    choice_option: [dev, prod]
    value: dev
stages:
  - name: build
    jobs:
      - name: compile
        type: freestyle
        spec:
          script: |
            echo hi
            make
`;

describe('pathSegments', () => {
  it('splits dotted paths with indexes', () => {
    expect(pathSegments('stages[0].jobs[12].spec.script')).toEqual(['stages', 0, 'jobs', 12, 'spec', 'script']);
    expect(pathSegments('')).toEqual([]);
    expect(pathSegments('params.my-param')).toEqual(['params', 'my-param']);
  });
});

describe('loadDefinition: YAML', () => {
  it('loads, validates and normalises a valid document', () => {
    const r = loadDefinition(VALID_YAML);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.concurrency_limit).toBe(1);
    expect(r.value.stages[0]?.jobs[0]?.spec).toMatchObject({ script: 'echo hi\nmake\n', script_type: 'shell' });
    expect(r.value.params).toEqual([{ name: 'env', type: 'choice', choice_option: ['dev', 'prod'], value: 'dev' }]);
  });

  it('reads multi_run: true as unlimited', () => {
    const r = loadDefinition(VALID_YAML.replace('multi_run: false', 'multi_run: true'));
    expect(r.ok && r.value.concurrency_limit).toBe(-1);
  });

  it('keeps YAML 1.2 semantics: yes/on are strings, so they are not booleans', () => {
    const r = loadDefinition(VALID_YAML.replace('multi_run: false', 'multi_run: yes'));
    expect(r).toEqual({ ok: false, issues: [{ path: 'multi_run', message: 'must be a boolean', line: 4 }] });
  });

  it('reports a syntax error with its 1-based line', () => {
    const r = loadDefinition('name: a\nproject: p\nstages:\n  - name: s\n   jobs: []\n');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues.length).toBeGreaterThanOrEqual(1);
    expect(r.issues[0]).toMatchObject({ path: '', line: 5 });
    expect(r.issues[0]?.message).toMatch(/^YAML syntax error: /);
  });

  it('reports an unclosed flow collection with its line', () => {
    const r = loadDefinition('name: a\nproject: p\nstages: [\n');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues.every((i) => i.path === '' && typeof i.line === 'number')).toBe(true);
    expect(r.issues[0]?.message).toMatch(/^YAML syntax error: /);
  });

  it('reads merge keys as Zadig does, and says when the text holds several documents', () => {
    const merged = loadDefinition(
      [
        'name: merged',
        'project: p',
        'x-job: &job {type: freestyle, spec: {script: "true"}}',
        'stages:',
        '  - name: s',
        '    jobs:',
        '      - {<<: *job, name: a}',
        '      - <<: *job',
        '        name: b',
        '        spec: {script: "echo b"}',
      ].join('\n'),
    );
    expect(merged.ok).toBe(true);
    if (merged.ok) {
      expect(merged.value.stages[0]!.jobs.map((j) => [j.name, j.type, (j.spec as { script: string }).script])).toEqual([
        ['a', 'freestyle', 'true'],
        ['b', 'freestyle', 'echo b'],
      ]);
    }
    const twoDocs = loadDefinition('name: a\nproject: p\nstages: []\n---\nname: b\n');
    expect(twoDocs).toEqual({
      ok: false,
      issues: [
        {
          path: '',
          message:
            'YAML syntax error: the text holds more than one document (a "---" line); a definition is one document',
          line: 4,
        },
      ],
    });
  });

  it('reports duplicate keys as a syntax error', () => {
    const r = loadDefinition('name: a\nproject: p\nname: b\nstages: []\n');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues).toEqual([
      { path: '', message: expect.stringMatching(/^YAML syntax error: Map keys must be unique/), line: 3 },
    ]);
  });

  it('reports a key a JSON object names twice, which JSON.parse would let the later one replace', () => {
    const text = '{"name": "a",\n "project": "p",\n "stages": [{"name": "s", "jobs": [],\n "name": "t"}]}';
    expect(loadDefinition(text)).toEqual({
      ok: false,
      issues: [{ path: 'stages[0].name', message: 'is given more than once', line: 4 }],
    });
  });

  it('attaches the line of every issue path', () => {
    const text = `name: bad name
project: demo
stages:
  - name: build
    jobs:
      - name: Compile
        type: freestyle
        spec:
          repos:
            - repo_name: app
      - name: deploy
        type: zadig-deploy
        spec: {}
  - name: build
    parallel: "yes"
    jobs: []
`;
    expect(loadDefinition(text)).toEqual({
      ok: false,
      issues: [
        { path: 'name', message: 'workflow name "bad name" may contain only letters, digits and "-"', line: 1 },
        { path: 'stages[0].jobs[0].name', message: expect.stringMatching(/^job name "Compile"/), line: 6 },
        // missing key: points at the nearest existing parent (`spec:`)
        { path: 'stages[0].jobs[0].spec.script', message: 'is required', line: 8 },
        { path: 'stages[0].jobs[0].spec.repos[0]', message: 'needs either address or repo_owner', line: 10 },
        { path: 'stages[0].jobs[1].type', message: 'job type "zadig-deploy" is not supported yet', line: 12 },
        { path: 'stages[1].name', message: 'duplicate stage name "build" (already used by stages[0])', line: 14 },
        { path: 'stages[1].parallel', message: 'must be a boolean', line: 15 },
        { path: 'stages[1].jobs', message: 'must contain at least one job', line: 16 },
      ],
    });
  });

  it('points top-level missing keys at the document start', () => {
    expect(loadDefinition('\n\nname: x\n')).toEqual({
      ok: false,
      issues: [
        { path: 'project', message: 'is required', line: 3 },
        { path: 'stages', message: 'is required', line: 3 },
      ],
    });
  });

  it('rejects an empty or scalar document', () => {
    expect(loadDefinition('')).toEqual({
      ok: false,
      issues: [{ path: '', message: 'workflow definition must be an object' }],
    });
    expect(loadDefinition('just text\n')).toEqual({
      ok: false,
      issues: [{ path: '', message: 'workflow definition must be an object', line: 1 }],
    });
  });

  it('rejects alias bombs instead of expanding them', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 8; i++)
      lines.push(
        `${'b'.repeat(i)}: &${'b'.repeat(i)} [${Array(10)
          .fill(i === 1 ? '*a' : `*${'b'.repeat(i - 1)}`)
          .join(', ')}]`,
      );
    const r = loadDefinition(lines.join('\n') + '\n');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues[0]?.message).toMatch(/^invalid YAML: /);
  });

  it('can be forced to YAML even if the text starts with "{"', () => {
    const r = loadDefinition(
      '{name: wf, project: p, stages: [{name: s, jobs: [{name: j, type: freestyle, spec: {script: ""}}]}]}',
      'yaml',
    );
    expect(r.ok).toBe(true);
  });
});

describe('loadDefinition: JSON', () => {
  const json = JSON.stringify(
    {
      name: 'wf',
      project: 'p',
      multi_run: true,
      stages: [{ name: 's', jobs: [{ name: 'j', type: 'freestyle', spec: { script: 'x' } }] }],
    },
    null,
    2,
  );

  it('detects JSON by a leading "{" (after whitespace) and loads it', () => {
    const r = loadDefinition(`\n  ${json}`);
    expect(r.ok && r.value.concurrency_limit).toBe(-1);
    expect(r.ok && r.value.stages[0]?.jobs[0]?.spec).toMatchObject({ script: 'x' });
  });

  it('reports a JSON syntax error with its line', () => {
    const r = loadDefinition('{\n  "name": "wf",\n  "project": "p",\n}\n');
    expect(r).toEqual({
      ok: false,
      issues: [{ path: '', message: expect.stringMatching(/^invalid JSON: /), line: 4 }],
    });
  });

  it('reports truncated JSON at the last line', () => {
    const r = loadDefinition('{\n  "name": "wf",\n  "project":');
    expect(r).toEqual({
      ok: false,
      issues: [{ path: '', message: expect.stringMatching(/^invalid JSON: /), line: 3 }],
    });
  });

  it('is strict JSON when forced: YAML-only syntax is an error', () => {
    const r = loadDefinition('name: wf\n', 'json');
    expect(r).toEqual({
      ok: false,
      issues: [{ path: '', message: expect.stringMatching(/^invalid JSON: /), line: 1 }],
    });
  });

  it.each([
    ['{\n  "name": "wf",\n  "project": \'p\'\n}', 3],
    ['{\n  "name": "wf"\n  "project": "p"\n}', 3],
    ['{\n  "a": [1,\n 2,\n x]\n}', 4],
    ['{\n  "a": "\\q"\n}', 2],
    ['{\n  "a": 1\n}\n\ntrailing', 5],
    ['{\n  "a": -\n}', 2],
  ])('locates the JSON error in %j on line %d', (text, line) => {
    const r = loadDefinition(text);
    expect(r).toEqual({ ok: false, issues: [{ path: '', message: expect.stringMatching(/^invalid JSON: /), line }] });
  });

  it('attaches lines to validation issues in JSON documents', () => {
    const text = [
      '{',
      '  "name": "wf",',
      '  "project": "p",',
      '  "stages": [',
      '    { "name": "s", "jobs": [',
      '      { "name": "j", "type": "approval", "spec": { "native_approval": { "approve_users": [] } } }',
      '    ] }',
      '  ]',
      '}',
    ].join('\n');
    expect(loadDefinition(text)).toEqual({
      ok: false,
      issues: [
        {
          path: 'stages[0].jobs[0].spec.native_approval.approve_users',
          message: 'needs at least one approver',
          line: 6,
        },
      ],
    });
  });
});

describe('NUL characters', () => {
  it('are refused where a YAML escape spells one, with path and line', () => {
    const text = [
      'name: nul',
      'project: demo',
      'stages:',
      '  - name: build',
      '    jobs:',
      '      - name: compile',
      '        type: freestyle',
      '        spec:',
      '          script: "echo \\0 hi"',
      '',
    ].join('\n');
    const result = loadDefinition(text);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues).toEqual([
      { path: 'stages[0].jobs[0].spec.script', message: 'contains a NUL character, which cannot be stored', line: 9 },
    ]);
  });
});

describe('documents that cannot be walked', () => {
  it('refuses a YAML alias inside the node it names, at the alias', () => {
    const result = loadDefinition(['name: loop', 'project: demo', 'stages: &s', '  - *s', ''].join('\n'));
    expect(result).toEqual({
      ok: false,
      issues: [{ path: 'stages[0]', message: 'contains itself (a YAML alias to a node around it)', line: 4 }],
    });
  });

  it('refuses a merge key inside the node its alias names, at the alias, instead of counting aliases', () => {
    const result = loadDefinition(
      ['name: loop', 'project: demo', 'stages:', '  - &s', '    name: s', '    <<: *s', '    jobs: []', ''].join('\n'),
    );
    expect(result).toEqual({
      ok: false,
      issues: [{ path: 'stages[0]', message: 'contains itself (the YAML alias *s inside the node &s names)', line: 6 }],
    });
  });

  it('refuses nesting deeper than the limit, in YAML and in JSON, with the path where it goes too deep', () => {
    const levels = MAX_NESTING_DEPTH + 1;
    const deep = `${'['.repeat(levels)}${']'.repeat(levels)}`;
    for (const text of [
      `name: deep\nproject: demo\nspec: ${deep}`,
      `{"name": "deep", "project": "demo", "spec": ${deep}}`,
    ]) {
      const result = loadDefinition(text);
      expect(result.ok).toBe(false);
      if (result.ok) continue;
      expect(result.issues).toHaveLength(1);
      expect(result.issues[0]).toMatchObject({
        path: `spec${'[0]'.repeat(MAX_NESTING_DEPTH - 1)}`,
        message: `nests deeper than ${MAX_NESTING_DEPTH} levels`,
      });
    }
  });

  it('says so once when the YAML is too deep for the parser itself', () => {
    const result = loadDefinition(`name: deep\nspec: ${'['.repeat(5000)}${']'.repeat(5000)}`);
    expect(result).toEqual({
      ok: false,
      issues: [
        {
          path: '',
          message: `YAML nested too deeply to read (definitions may nest ${MAX_NESTING_DEPTH} levels)`,
          line: 2,
        },
      ],
    });
  });
});
