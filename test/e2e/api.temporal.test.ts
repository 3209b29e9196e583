import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, Engine } from '@stagecoach/testkit';

let engine: Engine;
beforeAll(async () => {
  engine = await Engine.start({ inProcessWorker: false });
});
afterAll(async () => {
  await engine?.stop();
});

const yamlWorkflow = `name: yamly
project: api
display_name: From YAML
multi_run: false
stages:
  - name: build
    jobs:
      - name: build
        type: freestyle
        spec:
          script: echo hi
`;

/** A request written on a socket as it is given, repeated headers included (inject and fetch merge them). */
async function sendRaw(
  method: string,
  path: string,
  headers: [string, string][],
): Promise<{ status: number; body: string }> {
  const base = new URL(await engine.app.listen({ host: '127.0.0.1', port: 0 }));
  try {
    const head = [
      `${method} ${path} HTTP/1.1`,
      `host: ${base.host}`,
      'connection: close',
      ...headers.map(([k, v]) => `${k}: ${v}`),
    ];
    const response = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(base.port), base.hostname, () => socket.write(`${head.join('\r\n')}\r\n\r\n`));
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    const [statusLine = '', ...rest] = response.split('\r\n');
    return { status: Number(statusLine.split(' ')[1]), body: rest.slice(rest.indexOf('') + 1).join('\r\n') };
  } finally {
    await engine.app.server.close();
  }
}

describe('projects and workflows', () => {
  it('creates projects, rejects duplicates and bad keys', async () => {
    expect((await engine.api('POST', '/api/v1/projects', { name: 'api', display_name: 'API' })).status).toBe(201);
    expect((await engine.api('POST', '/api/v1/projects', { name: 'api' })).status).toBe(409);
    const bad = await engine.api('POST', '/api/v1/projects', { name: 'has space' });
    expect(bad.status).toBe(400);
    expect(bad.body.issues[0].path).toContain('name');
    // PostgreSQL stores no NUL: a 400 naming the field, not a failed write.
    const nul = await engine.api('POST', '/api/v1/projects', { name: 'nul', display_name: 'N\u0000UL' });
    expect(nul.status).toBe(400);
    expect(nul.body.issues).toEqual([
      { path: 'body.display_name', message: 'contains a NUL character, which cannot be stored' },
    ]);
    // Half of a surrogate pair, which JSON can escape: jsonb refuses it and text would store it altered.
    const lone = await engine.api('POST', '/api/v1/projects', '{"name":"lone","display_name":"L\\ud800NE"}');
    expect(lone.status).toBe(400);
    expect(lone.body.issues).toEqual([
      {
        path: 'body.display_name',
        message: 'contains half of a UTF-16 surrogate pair, which is not Unicode text and cannot be stored',
      },
    ]);
    const definition = `{"name":"lone","project":"api","description":"\\udfff","stages":[]}`;
    const saved = await engine.api('PUT', '/api/v1/projects/api/workflows/lone', definition);
    expect(saved.status).toBe(400);
    expect(saved.body.issues[0].path).toBe('body.description');
    const list = await engine.api('GET', '/api/v1/projects');
    expect(list.body.projects.map((p: any) => p.name)).toContain('api');
    expect(list.body.projects.map((p: any) => p.name)).not.toContain('nul');
    expect(list.body.projects.map((p: any) => p.name)).not.toContain('lone');
    expect(list.body.projects.map((p: any) => p.name)).toContain('api');
  });

  it('saves YAML definitions, keeps versions, reads older keys', async () => {
    const created = await engine.api('PUT', '/api/v1/projects/api/workflows/yamly', yamlWorkflow, {
      contentType: 'application/yaml',
    });
    expect(created.status).toBe(201);
    expect(created.body.version).toBe(1);
    expect(created.body.definition.concurrency_limit).toBe(1);
    const updated = await engine.api(
      'PUT',
      '/api/v1/projects/api/workflows/yamly',
      yamlWorkflow.replace('echo hi', 'echo hello'),
      { contentType: 'application/yaml' },
    );
    expect(updated.status).toBe(200);
    expect(updated.body.version).toBe(2);
    const versions = await engine.api('GET', '/api/v1/projects/api/workflows/yamly/versions');
    expect(versions.body.versions.map((v: any) => v.version)).toEqual([2, 1]);
    const first = await engine.api('GET', '/api/v1/projects/api/workflows/yamly/versions/1');
    expect(first.body.definition.stages[0].jobs[0].spec.script).toBe('echo hi');
    expect((await engine.api('GET', '/api/v1/projects/api/workflows/yamly/versions/9')).status).toBe(404);
    const one = await engine.api('GET', '/api/v1/projects/api/workflows/yamly');
    expect(one.body.definition.stages[0].jobs[0].spec.script).toBe('echo hello');
    const list = await engine.api('GET', '/api/v1/projects/api/workflows');
    expect(list.body.workflows.map((w: any) => w.name)).toEqual(['yamly']);
  });

  it('answers 201 to the one save that created a workflow, also among concurrent first saves', async () => {
    const racing = yamlWorkflow.replace('name: yamly', 'name: racing');
    const saves = await Promise.all(
      Array.from({ length: 6 }, () =>
        engine.api('PUT', '/api/v1/projects/api/workflows/racing', racing, { contentType: 'application/yaml' }),
      ),
    );
    expect(saves.map((s) => s.status).sort()).toEqual([200, 200, 200, 200, 200, 201]);
    expect((await engine.api('DELETE', '/api/v1/projects/api/workflows/racing')).status).toBe(204);
  });

  it('reports every problem with its path and YAML line, and saves nothing', async () => {
    const broken = `name: broken
project: api
stages:
  - name: s
    jobs:
      - name: Bad_Name
        type: freestyle
        spec:
          script: echo
      - name: deploy
        type: zadig-deploy
        spec: {}
`;
    const res = await engine.api('PUT', '/api/v1/projects/api/workflows/broken', broken, {
      contentType: 'application/yaml',
    });
    expect(res.status).toBe(400);
    const byPath = Object.fromEntries(res.body.issues.map((i: any) => [i.path, i]));
    expect(byPath['stages[0].jobs[0].name'].line).toBe(6);
    expect(byPath['stages[0].jobs[1].type'].message).toContain('zadig-deploy');
    expect(byPath['stages[0].jobs[1].type'].line).toBe(11);
    expect((await engine.api('GET', '/api/v1/projects/api/workflows/broken')).status).toBe(404);

    const syntax = await engine.api('POST', '/api/v1/lint', 'name: x\nstages: [\n', {
      contentType: 'application/yaml',
    });
    expect(syntax.status).toBe(400);
    expect(syntax.body.issues[0].line).toBeGreaterThanOrEqual(2);

    const mismatch = await engine.api('PUT', '/api/v1/projects/api/workflows/other', yamlWorkflow, {
      contentType: 'application/yaml',
    });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.issues[0].path).toBe('name');
    const noProject = await engine.api(
      'PUT',
      '/api/v1/projects/ghost/workflows/yamly',
      yamlWorkflow.replace('project: api', 'project: ghost'),
      { contentType: 'application/yaml' },
    );
    expect(noProject.status).toBe(404);

    // Documents that would overflow the code walking them: a 400 naming where, not a 500.
    const recursive = await engine.api(
      'PUT',
      '/api/v1/projects/api/workflows/loop',
      'name: loop\nproject: api\nstages: &s [*s]\n',
      {
        contentType: 'application/yaml',
      },
    );
    expect(recursive.status).toBe(400);
    expect(recursive.body.issues).toEqual([
      { path: 'stages[0]', message: 'contains itself (a YAML alias to a node around it)', line: 3 },
    ]);
    expect((await engine.api('GET', '/api/v1/projects/api/workflows/loop')).status).toBe(404);
    const deep = await engine.api(
      'POST',
      '/api/v1/projects',
      `{"name": "deep", "display_name": ${'['.repeat(5000)}${']'.repeat(5000)}}`,
      { contentType: 'application/json' },
    );
    expect(deep.status).toBe(400);
    expect(deep.body.issues).toEqual([
      { path: `body.display_name${'.0'.repeat(63)}`, message: 'nests deeper than 64 levels' },
    ]);

    // JSON keeps the last of a repeated key without a word; the same definition in YAML is refused.
    const twice = `{"name": "twice", "project": "api", "stages": [{"name": "s", "jobs": [
      {"name": "a", "type": "freestyle", "spec": {"script": "echo one", "script": "rm -rf build"}}]}]}`;
    const repeated = await engine.api('PUT', '/api/v1/projects/api/workflows/twice', twice, {
      contentType: 'application/json',
    });
    expect(repeated.status).toBe(400);
    expect(repeated.body.issues).toEqual([
      { path: 'body.stages.0.jobs.0.spec.script', message: 'is given more than once' },
    ]);
    expect((await engine.api('GET', '/api/v1/projects/api/workflows/twice')).status).toBe(404);
  });

  it('lints without saving, deletes, and needs the admin token to change anything', async () => {
    const lint = await engine.api('POST', '/api/v1/lint', yamlWorkflow, { contentType: 'application/yaml' });
    expect(lint.status).toBe(200);
    expect(lint.body.ok).toBe(true);
    const noToken = await engine.api('DELETE', '/api/v1/projects/api/workflows/yamly', undefined, { token: null });
    expect(noToken.status).toBe(401);
    const wrongToken = await engine.api('DELETE', '/api/v1/projects/api/workflows/yamly', undefined, {
      token: 'guess',
    });
    expect(wrongToken.status).toBe(401);
    expect(wrongToken.text).not.toContain('test-admin-token');
    // The person the admin token acts for is a user name, stored and a run's search attribute: bounded.
    const longName = await engine.api('DELETE', '/api/v1/projects/api/workflows/yamly', undefined, {
      user: 'u'.repeat(65),
    });
    expect(longName.status).toBe(400);
    expect(longName.body.issues).toEqual([{ path: 'headers.x-user', message: 'must be at most 64 characters' }]);
    // Sent twice, the header would be read as one caller named "ann, bob".
    const twice = await sendRaw('DELETE', '/api/v1/projects/api/workflows/yamly', [
      ['authorization', `Bearer ${ADMIN_TOKEN}`],
      ['x-user', 'ann'],
      ['x-user', 'bob'],
    ]);
    expect(twice.status).toBe(400);
    expect(twice.body).toContain('"issues":[{"path":"headers.x-user","message":"must be given once"}]');
    // A choice of values names them.
    const decision = await engine.api('POST', '/api/v1/projects/api/workflows/yamly/runs/1/decisions', {
      job: 'build',
      decision: 'maybe',
    });
    expect(decision.status).toBe(400);
    expect(decision.body.issues).toEqual([{ path: 'body.decision', message: 'must be one of ignore, reject' }]);
    // A JSON body's values keep their type: null, 0 or "false" is no vote, where coerced it was a rejection.
    for (const approve of [null, 0, 'false']) {
      const vote = await engine.api('POST', '/api/v1/projects/api/workflows/yamly/runs/1/approvals', {
        job: 'build',
        approve,
      });
      expect(vote.status).toBe(400);
      expect(vote.body.issues).toEqual([{ path: 'body.approve', message: 'must be boolean' }]);
    }
    // The query string is text, and still read as the number it spells.
    expect((await engine.api('GET', '/api/v1/projects/api/workflows/yamly/runs?page_size=5')).status).toBe(200);
    expect((await engine.api('DELETE', '/api/v1/projects/api/workflows/yamly')).status).toBe(204);
    expect((await engine.api('DELETE', '/api/v1/projects/api/workflows/yamly')).status).toBe(404);
  });

  it('refuses query parameters a route does not name, rather than answering unfiltered', async () => {
    const unknown = (name: string) => ({
      status: 400,
      message: `querystring.${name} is not a known field`,
      issues: [{ path: `querystring.${name}`, message: 'is not a known field' }],
    });
    const answer = async (method: 'GET' | 'POST', path: string) => {
      const res = await engine.api(method, path, method === 'POST' ? { name: 'queried' } : undefined);
      return { status: res.status, message: res.body.message, issues: res.body.issues };
    };
    // A misspelt filter, a filter the route does not have, and a route that takes no query at all.
    expect(await answer('GET', '/api/v1/projects/api/workflows/yamly/runs?stauts=failed')).toEqual(unknown('stauts'));
    expect(await answer('GET', '/api/v1/audit?since=2026-11-01')).toEqual(unknown('since'));
    expect(await answer('GET', '/api/v1/projects?page=2')).toEqual(unknown('page'));
    // A refused write writes nothing.
    expect(await answer('POST', '/api/v1/projects?dry_run=1')).toEqual(unknown('dry_run'));
    const { projects } = (await engine.api('GET', '/api/v1/projects')).body as { projects: { name: string }[] };
    expect(projects.map((p) => p.name)).not.toContain('queried');
    // The parameters a route names still work.
    expect((await engine.api('GET', '/api/v1/audit?actor=bench&limit=2')).status).toBe(200);
  });

  it('starts a run from a POST without a body, with the defaults', async () => {
    await engine.defineWorkflow({
      name: 'bodiless',
      project: 'api',
      params: [{ name: 'greeting', type: 'string', value: 'hi' }],
      stages: [{ name: 's', jobs: [{ name: 'j', type: 'freestyle', spec: { script: 'true' } }] }],
    });
    const started = await engine.api('POST', '/api/v1/projects/api/workflows/bodiless/runs');
    expect(started.status).toBe(201);
    // A body that is there is checked as ever: JSON null is no object.
    const nullBody = await engine.api('POST', '/api/v1/projects/api/workflows/bodiless/runs', 'null');
    expect(nullBody.status).toBe(400);
    expect(nullBody.body.issues).toEqual([{ path: 'body', message: 'must be object' }]);
    const run = await engine.api('GET', `/api/v1/projects/api/workflows/bodiless/runs/${started.body.run_number}`);
    expect(run.body.params).toEqual({ greeting: 'hi' });
  });

  it('names every problem of a refused start, in its params and its job selection together, and takes no number', async () => {
    const refused = await engine.api('POST', '/api/v1/projects/api/workflows/bodiless/runs', {
      params: { greting: 'typo' },
      skip_jobs: ['nope'],
    });
    expect(refused.status).toBe(400);
    expect(refused.body.message).toBe('invalid run params and job selection');
    expect(refused.body.issues).toEqual([
      { path: 'params.greting', message: 'unknown param "greting"' },
      { path: 'skip_jobs[0]', message: 'no job named "nope"' },
    ]);
    const runs = await engine.api('GET', '/api/v1/projects/api/workflows/bodiless/runs');
    expect(runs.body.total).toBe(1);
    const next = await engine.api('POST', '/api/v1/projects/api/workflows/bodiless/runs', { skip_jobs: [] });
    expect(next.body.run_number).toBe(2);
  });

  it("lists a deleted workflow's runs as history, and knows no workflow that never was", async () => {
    await engine.defineWorkflow({
      name: 'gone',
      project: 'api',
      stages: [{ name: 's', jobs: [{ name: 'j', type: 'freestyle', spec: { script: 'true' } }] }],
    });
    const started = await engine.api('POST', '/api/v1/projects/api/workflows/gone/runs');
    expect(started.status).toBe(201);
    expect((await engine.api('DELETE', '/api/v1/projects/api/workflows/gone')).status).toBe(204);
    const listed = await engine.api('GET', '/api/v1/projects/api/workflows/gone/runs');
    expect(listed.status).toBe(200);
    expect(listed.body.runs.map((r: { run_number: number }) => r.run_number)).toEqual([started.body.run_number]);
    expect((await engine.api('GET', '/api/v1/projects/api/workflows/gone/runs?status=failed')).body.total).toBe(0);
    expect((await engine.api('GET', '/api/v1/projects/api/workflows/gone/runs/1')).status).toBe(200);
    const never = await engine.api('GET', '/api/v1/projects/api/workflows/never-was/runs');
    expect(never.status).toBe(404);
    expect(never.body.message).toBe('workflow "api/never-was" not found');
  });

  it('refuses numbers no stored row can have, rather than failing the lookup', async () => {
    const huge = '9'.repeat(20);
    const refusal = async (path: string) => {
      const res = await engine.api('GET', path);
      return { status: res.status, paths: (res.body.issues as { path: string }[] | undefined)?.map((i) => i.path) };
    };
    const wf = '/api/v1/projects/api/workflows/yamly';
    // Run numbers and versions are PostgreSQL integers; offsets and pages feed a bigint OFFSET.
    expect(await refusal(`${wf}/versions/3000000000`)).toEqual({ status: 400, paths: ['params.version'] });
    expect(await refusal(`${wf}/runs/3000000000`)).toEqual({ status: 400, paths: ['params.number'] });
    expect(await refusal(`${wf}/runs?page=${huge}`)).toEqual({ status: 400, paths: ['querystring.page'] });
    expect(await refusal(`${wf}/notifications?offset=${huge}`)).toEqual({ status: 400, paths: ['querystring.offset'] });
    expect(await refusal(`${wf}/triggers/deliveries?offset=${huge}`)).toEqual({
      status: 400,
      paths: ['querystring.offset'],
    });
    expect(await refusal(`/api/v1/audit?before=${huge}`)).toEqual({ status: 400, paths: ['querystring.before'] });
    const zadig = await engine.api('GET', `/openapi/workflows/custom/yamly/tasks?projectKey=api&pageNum=${huge}`);
    expect(zadig.status).toBe(400);
    // The largest page still answers, empty.
    const last = await engine.api('GET', '/api/v1/projects/api/workflows/bodiless/runs?page=2147483647');
    expect(last.status).toBe(200);
    expect(last.body.runs).toEqual([]);
  });

  it('refuses bodies over 1 MiB with 413 and saves nothing', async () => {
    const padded = `${yamlWorkflow}\n# ${'x'.repeat(1024 * 1024)}\n`;
    const tooBig = await engine.api('PUT', '/api/v1/projects/api/workflows/yamly', padded, {
      contentType: 'application/yaml',
    });
    expect(tooBig.status).toBe(413);
    expect(tooBig.body.message).toMatch(/too large/i);
    expect((await engine.api('GET', '/api/v1/projects/api/workflows/yamly')).status).toBe(404);
    const bigJson = await engine.api(
      'POST',
      '/api/v1/login',
      { username: 'x', password: 'y'.repeat(1024 * 1024) },
      {
        token: null,
      },
    );
    expect(bigJson.status).toBe(413);
    // Webhook ingress has its own, larger limit (5 MiB), enforced before the signature is checked.
    const bigHook = await engine.deliver('/hooks/github', Buffer.alloc(5 * 1024 * 1024 + 1, 0x20), {
      'x-github-event': 'push',
    });
    expect(bigHook.status).toBe(413);
    // Just under the limit is read (and then judged on its content).
    const underLimit = `${yamlWorkflow}\n# ${'x'.repeat(1000 * 1024)}\n`;
    const saved = await engine.api('PUT', '/api/v1/projects/api/workflows/yamly', underLimit, {
      contentType: 'application/yaml',
    });
    expect(saved.status).toBe(201);
    expect((await engine.api('DELETE', '/api/v1/projects/api/workflows/yamly')).status).toBe(204);
  });

  it('serves the definition JSON Schema', async () => {
    const schema = await engine.api('GET', '/api/v1/schemas/workflow');
    expect(schema.status).toBe(200);
    expect(schema.body.$schema).toContain('2020-12');
    expect(schema.body.required).toEqual(expect.arrayContaining(['name', 'project', 'stages']));
  });

  it('serves the OpenAPI document', async () => {
    const doc = await engine.app.inject({ method: 'GET', url: '/docs/json' });
    expect(doc.statusCode).toBe(200);
    const paths = Object.keys(doc.json().paths);
    expect(paths).toContain('/api/v1/projects/{project}/workflows/{name}/runs/{number}/approvals');
    expect(paths).toContain('/api/v1/projects/{project}/workflows/{name}/runs/{number}/jobs/{job}/logs');
  });

  it('serves the API docs page and the script it loads', async () => {
    const page = await engine.app.inject({ method: 'GET', url: '/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    const script = page.body.match(/src="([^"]+swagger-ui-bundle\.js)"/)?.[1];
    expect(script).toBe('/docs/static/swagger-ui-bundle.js');
    // Files under /docs/static come from @fastify/static.
    const asset = await engine.app.inject({ method: 'GET', url: script! });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['content-type']).toContain('javascript');
    expect(asset.body).toContain('SwaggerUIBundle');
  });
});
