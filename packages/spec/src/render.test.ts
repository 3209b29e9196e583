import { describe, expect, it } from 'vitest';
import {
  VARIABLE_RE,
  builtinValues,
  formatUtcDateTime,
  jobOutputKey,
  jobStartTimeKey,
  jobStatusKey,
  jsonEscape,
  renderJob,
  renderString,
} from './render.js';

describe('VARIABLE_RE (Zadig config.VariableRegEx semantics)', () => {
  it.each([
    ['{{.ab}}', 'ab'],
    ['{{.ab.cd}}', 'ab.cd'],
    ['{{.job.build.output.IMAGE}}', 'job.build.output.IMAGE'],
    ['{{.workflow.params.my_var}}', 'workflow.params.my_var'],
    ['{{.job.build-1.status}}', 'job.build-1.status'],
    ['{{.项目.名称}}', '项目.名称'],
    ['{{.ab_}}', 'ab_'],
    ['{{.ab }}', 'ab '],
    ['{{.ab{}}', 'ab{'],
  ])('matches %s with key %s', (text, key) => {
    expect(VARIABLE_RE.exec(text)?.[1]).toBe(key);
  });

  it.each(['{{.a}}', '{{.a.b}}', '{{.ab.c}}', '{{.x_y.z}}', '{{.ab\n}}', '{{ .ab }}', '{{ab}}', '{{.}}', '{{..ab}}'])(
    'does not match %j (the trailing "." must eat one character, first segment has no "_")',
    (text) => {
      expect(VARIABLE_RE.test(text)).toBe(false);
    },
  );

  it('is not global (no shared lastIndex state)', () => {
    expect(VARIABLE_RE.flags).toBe('u');
  });
});

describe('renderString', () => {
  const values = { 'workflow.params.env': 'prod', project: 'demo', a: 'A', 'x y': 'space', empty: '' };

  it('substitutes every occurrence literally', () => {
    expect(renderString('{{.project}}/{{.workflow.params.env}}-{{.workflow.params.env}}', values)).toBe(
      'demo/prod-prod',
    );
  });

  it('substitutes any known key, even ones VARIABLE_RE would not match', () => {
    expect(renderString('{{.a}}|{{.x y}}', values)).toBe('A|space');
  });

  it('substitutes empty values', () => {
    expect(renderString('[{{.empty}}]', values)).toBe('[]');
  });

  it('leaves unknown placeholders alone unless blankUnresolved', () => {
    expect(renderString('x{{.job.build.status}}y', values)).toBe('x{{.job.build.status}}y');
    expect(renderString('x{{.job.build.status}}y', values, { blankUnresolved: true })).toBe('xy');
  });

  it('blanks only what VARIABLE_RE matches', () => {
    expect(renderString('{{.zz}} {{.q}} {{.ab.c}} {{ .zz }}', {}, { blankUnresolved: true })).toBe(
      ' {{.q}} {{.ab.c}} {{ .zz }}',
    );
  });

  it('keeps preserved keys when blanking', () => {
    const out = renderString(
      '{{.workflow.params.token}} {{.workflow.params.other}}',
      {},
      {
        blankUnresolved: true,
        preserve: (k) => k === 'workflow.params.token',
      },
    );
    expect(out).toBe('{{.workflow.params.token}} ');
  });

  it('does not re-scan substituted values for further placeholders', () => {
    expect(renderString('{{.p1}}', { p1: '{{.secret}}', secret: 'S' })).toBe('{{.secret}}');
  });

  it('blanks placeholders that came in through values (Zadig blanks the whole rendered job)', () => {
    expect(renderString('<{{.p1}}>', { p1: '{{.other.key}}' }, { blankUnresolved: true })).toBe('<>');
  });

  it('JSON-escapes values when jsonSafe', () => {
    expect(renderString('"{{.v}}"', { v: 'a"b\\c\nd' }, { jsonSafe: true })).toBe('"a\\"b\\\\c\\nd"');
    expect(renderString('"{{.v}}"', { v: 'a"b' })).toBe('"a"b"');
  });

  it('ignores inherited object properties as keys', () => {
    expect(renderString('{{.constructor}} {{.toString}}', {})).toBe('{{.constructor}} {{.toString}}');
  });
});

describe('renderJob', () => {
  it('renders every string in the job, values JSON-escaped, and returns a new object', () => {
    const job = {
      name: 'build',
      spec: { script: 'echo {{.workflow.params.msg}}\nexit 0', envs: [{ key: 'E', value: '{{.project}}' }], n: 3 },
    };
    const out = renderJob(job, { 'workflow.params.msg': 'say "hi"\\', project: 'demo' });
    expect(out).toEqual({
      name: 'build',
      spec: { script: 'echo say "hi"\\\nexit 0', envs: [{ key: 'E', value: 'demo' }], n: 3 },
    });
    expect(job.spec.script).toBe('echo {{.workflow.params.msg}}\nexit 0');
  });

  it('blanks unresolved variables and keeps preserved ones', () => {
    // `{{.nope.x}}` survives: a one-character last segment is not a variable for Zadig's regex.
    const out = renderJob(
      { s: '{{.job.up.output.OUT}}:{{.workflow.params.pw}}:{{.nope.x}}' },
      {},
      {
        blankUnresolved: true,
        preserve: (k) => k === 'workflow.params.pw',
      },
    );
    expect(out).toEqual({ s: ':{{.workflow.params.pw}}:{{.nope.x}}' });
  });

  it('never produces invalid JSON when a "variable" would straddle a string boundary', () => {
    expect(renderJob({ a: { k: '{{.ab' } }, {}, { blankUnresolved: true })).toEqual({ a: { k: '{{.ab' } });
  });
});

describe('jsonEscape', () => {
  it('escapes without quotes', () => {
    expect(jsonEscape('a"\t\u0001é')).toBe('a\\"\\t\\u0001é');
  });
});

describe('builtinValues', () => {
  it('returns exactly the Zadig built-ins', () => {
    expect(
      builtinValues({
        project: 'demo',
        projectDisplayName: 'Demo Project',
        workflow: 'build-deploy',
        workflowDisplayName: 'Build & Deploy',
        runNumber: 42,
        creator: 'Alice',
        creatorId: 'alice',
        creatorUserId: 'u-1',
        timestampMs: 1709251199999,
        url: 'https://sc.example/runs/42',
        params: { env: 'prod', empty: '' },
      }),
    ).toEqual({
      project: 'demo',
      'project.id': 'demo',
      'project.name': 'Demo Project',
      'workflow.id': 'build-deploy',
      'workflow.name': 'Build & Deploy',
      'workflow.task.id': '42',
      'workflow.task.creator': 'Alice',
      'workflow.task.creator.id': 'alice',
      'workflow.task.creator.userId': 'u-1',
      'workflow.task.timestamp': '1709251199',
      'workflow.task.datetime': '2024-02-29 23:59:59',
      'workflow.task.url': 'https://sc.example/runs/42',
      'workflow.task.is_release_plan_trigger': 'false',
      'workflow.params.env': 'prod',
      'workflow.params.empty': '',
    });
  });

  it('falls back to keys and creator when optional values are missing', () => {
    const v = builtinValues({
      project: 'demo',
      projectDisplayName: '',
      workflow: 'wf',
      workflowDisplayName: '',
      runNumber: 1,
      creator: 'webhook',
      timestampMs: 0,
      params: {},
    });
    expect(v['workflow.name']).toBe('wf');
    expect(v['project.name']).toBe('demo');
    expect(v['workflow.task.creator.id']).toBe('webhook');
    expect(v['workflow.task.creator.userId']).toBe('webhook');
    expect(v['workflow.task.url']).toBe('');
    expect(v['workflow.task.timestamp']).toBe('0');
    expect(v['workflow.task.datetime']).toBe('1970-01-01 00:00:00');
    expect(Object.keys(v)).toHaveLength(13);
  });
});

describe('formatUtcDateTime', () => {
  it.each([
    [0, '1970-01-01 00:00:00'],
    [-1, '1969-12-31 23:59:59'],
    [951782400, '2000-02-29 00:00:00'],
    [951868799, '2000-02-29 23:59:59'],
    [951868800, '2000-03-01 00:00:00'],
    [1709251199, '2024-02-29 23:59:59'],
    [4102444800, '2100-01-01 00:00:00'],
    [253402300799, '9999-12-31 23:59:59'],
  ])('%d → %s', (seconds, expected) => {
    expect(formatUtcDateTime(seconds)).toBe(expected);
  });

  it('agrees with Date for a spread of instants', () => {
    for (let s = -2_000_000_000; s < 5_000_000_000; s += 86_399_937) {
      expect(formatUtcDateTime(s)).toBe(new Date(s * 1000).toISOString().slice(0, 19).replace('T', ' '));
    }
  });
});

describe('variable keys', () => {
  it('builds job keys', () => {
    expect(jobOutputKey('build', 'IMAGE')).toBe('job.build.output.IMAGE');
    expect(jobStatusKey('build')).toBe('job.build.status');
    expect(jobStartTimeKey('build')).toBe('job.build.util.startTime');
  });
});
