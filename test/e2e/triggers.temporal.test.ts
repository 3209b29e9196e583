import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { timerScheduleId } from '@stagecoach/contracts';
import { createLogger, SecretBox } from '@stagecoach/platform';
import { startNotifier, type Notifier } from '@stagecoach/notifier';
import { buildTriggerApp } from '@stagecoach/trigger';
import { finishInterruptedStarts, syncTimerSchedule } from '@stagecoach/triggers';
import type { TriggerRow } from '@stagecoach/db';
import { freePort, isPortOpen } from '@stagecoach/stack';
import { Engine, job, SECRET_KEY } from '@stagecoach/testkit';
import {
  giteePush,
  githubPullRequest,
  githubPush,
  gitlabMergeRequest,
} from '../../packages/triggers/src/git/payloads.fixture.js';

const P = 'trig';
const SECRET = 'github-webhook-secret';
const JIRA_TOKEN = 'jira-api-token-xyz';
const PLUGIN_TOKEN = 'meego-plugin-token-xyz';
const logger = createLogger({ name: 'trigger-test', level: process.env.LOG_LEVEL ?? 'silent' });

let engine: Engine;
let notifier: Notifier;
let vendor: Server;
let vendorUrl: string;
/** requests the local Jira / Feishu Project servers received */
const comments: { path: string; headers: IncomingMessage['headers']; body: any }[] = [];

/**
 * Jira REST v2 `POST /rest/api/2/issue/{key}/comment` (basic auth email:token, body {body}) and
 * Feishu Project `POST /open_api/{project_key}/work_item/{type}/{id}/comment/create` (X-PLUGIN-TOKEN,
 * X-USER-KEY, body {content}), answering as the vendors document (201 comment / err_code 0).
 */
function startVendorServer(): Promise<void> {
  vendor = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const body = JSON.parse(raw || '{}');
      comments.push({ path: req.url ?? '', headers: req.headers, body });
      res.setHeader('content-type', 'application/json');
      if (req.url?.startsWith('/rest/api/2/issue/')) {
        const expected = `Basic ${Buffer.from(`bot@example.com:${JIRA_TOKEN}`).toString('base64')}`;
        if (req.headers.authorization !== expected) return res.writeHead(401).end('{"errorMessages":["unauthorized"]}');
        if (typeof body.body !== 'string') return res.writeHead(400).end('{"errorMessages":["body required"]}');
        return res.writeHead(201).end(JSON.stringify({ id: '10001', body: body.body }));
      }
      if (req.url?.startsWith('/open_api/')) {
        const ok = req.headers['x-plugin-token'] === PLUGIN_TOKEN && req.headers['x-user-key'] === 'u-bot';
        return res
          .writeHead(200)
          .end(JSON.stringify(ok ? { err_code: 0, err_msg: '', data: 1 } : { err_code: 10001, err_msg: 'auth' }));
      }
      res.writeHead(404).end('{}');
    });
  });
  return new Promise((resolve) =>
    vendor.listen(0, '127.0.0.1', () => {
      vendorUrl = `http://127.0.0.1:${(vendor.address() as AddressInfo).port}`;
      resolve();
    }),
  );
}

beforeAll(async () => {
  engine = await Engine.start();
  await startVendorServer();
  notifier = await startNotifier({
    nc: engine.nc,
    db: engine.dbHandle.db,
    names: engine.names,
    logger,
    publicUrl: 'http://stagecoach.test',
    box: new SecretBox(SECRET_KEY),
  });
  await engine.api('POST', '/api/v1/projects', { name: P });
});
afterAll(async () => {
  await notifier?.stop();
  await engine?.stop();
  vendor?.close();
});

/** A workflow whose job reports what the trigger gave it, or sleeps so a run stays unfinished. */
async function defineCi(name: string, script?: string): Promise<void> {
  await engine.defineWorkflow({
    name,
    project: P,
    params: [
      { name: 'TARGET', type: 'string', value: 'dev' },
      { name: 'TOKEN', type: 'string', value: '', is_credential: true },
    ],
    stages: [
      {
        name: 'build',
        jobs: [
          {
            name: 'build',
            type: 'freestyle',
            spec: {
              script:
                script ??
                [
                  'BRANCH="{{.payload.trigger.branch}}"',
                  'COMMIT="{{.payload.trigger.commit_id}}"',
                  'REPO="{{.payload.repository.full_name}}"',
                  'T="{{.workflow.params.TARGET}}"',
                  'CREATOR="{{.workflow.task.creator}}"',
                  'HAS_TOKEN=""',
                  'if [ "$TOKEN" = "s3cret-param" ]; then HAS_TOKEN=yes; fi',
                ].join('\n'),
              advanced_setting: {
                outputs: ['BRANCH', 'COMMIT', 'REPO', 'T', 'CREATOR', 'HAS_TOKEN'].map((n) => ({ name: n })),
              },
            },
          },
        ],
      },
    ],
  });
}

const triggers = (wf: string, kind: string) => `/api/v1/projects/${P}/workflows/${wf}/triggers/${kind}`;
const sign = (body: string, secret = SECRET) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
const github = (event: string, payload: unknown, delivery: string, secret = SECRET) => {
  const body = JSON.stringify(payload);
  return {
    body,
    headers: { 'x-github-event': event, 'x-github-delivery': delivery, 'x-hub-signature-256': sign(body, secret) },
  };
};
const deliveries = async (wf: string) =>
  (await engine.api('GET', `/api/v1/projects/${P}/workflows/${wf}/triggers/deliveries`)).body;
const runsOf = async (wf: string) =>
  (await engine.api('GET', `/api/v1/projects/${P}/workflows/${wf}/runs?page_size=100`)).body;

const gitTrigger = (overrides: Record<string, unknown> = {}) => ({
  name: 'on-main',
  secret: SECRET,
  params: { TARGET: 'prod', TOKEN: 's3cret-param' },
  main_repo: {
    source: 'github',
    repo_owner: 'octo-org',
    repo_name: 'hello',
    branch: 'main',
    events: ['push', 'pull_request'],
  },
  ...overrides,
});

describe('trigger definitions', () => {
  it('are created, listed, read, replaced and deleted through the gateway without ever showing secrets', async () => {
    await defineCi('crud');
    const created = await engine.api('POST', triggers('crud', 'git'), gitTrigger());
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      kind: 'git',
      name: 'on-main',
      enabled: true,
      params: { TARGET: 'prod', TOKEN: '***' },
      secrets_set: ['secret'],
      hook_url: 'http://hooks.stagecoach.test/hooks/github',
      main_repo: { repo_owner: 'octo-org' },
    });
    expect(created.text).not.toContain(SECRET);
    expect(created.text).not.toContain('s3cret-param');

    const list = await engine.api('GET', triggers('crud', 'git'));
    expect(list.body.map((t: any) => t.name)).toEqual(['on-main']);
    expect(list.text).not.toContain(SECRET);

    // What a GET shows, sent back as it is, keeps the credential param: `***` is no new value.
    const shown = await engine.api('GET', `${triggers('crud', 'git')}/on-main`);
    const readOnly = new Set(['id', 'kind', 'secrets_set', 'hook_url', 'created_by', 'updated_by', 'updated_at']);
    const editable = Object.fromEntries(Object.entries(shown.body).filter(([key]) => !readOnly.has(key)));
    expect(editable.params).toEqual({ TARGET: 'prod', TOKEN: '***' });
    expect((await engine.api('PUT', `${triggers('crud', 'git')}/on-main`, editable)).status).toBe(200);
    const [stored] = (
      await engine.dbHandle.pool.query<{ sealed_params: string }>(
        `SELECT sealed_params FROM triggers WHERE name = 'on-main'`,
      )
    ).rows;
    expect(JSON.parse(new SecretBox(SECRET_KEY).open(stored!.sealed_params))).toEqual({ TOKEN: 's3cret-param' });

    // PUT without the secret keeps it; the new params are validated against the workflow again.
    const replaced = await engine.api('PUT', `${triggers('crud', 'git')}/on-main`, {
      ...gitTrigger({ enabled: false, params: { TARGET: 'staging' } }),
      secret: undefined,
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ enabled: false, params: { TARGET: 'staging' }, secrets_set: ['secret'] });

    expect((await engine.api('DELETE', `${triggers('crud', 'git')}/on-main`)).status).toBe(204);
    expect((await engine.api('GET', `${triggers('crud', 'git')}/on-main`)).status).toBe(404);
  });

  it('refuses bad definitions with every problem named and nothing saved', async () => {
    await defineCi('bad-defs');
    const bad = await engine.api('POST', triggers('bad-defs', 'git'), {
      ...gitTrigger({ params: { NOPE: 'x' } }),
      secret: undefined,
      main_repo: { ...gitTrigger().main_repo, branch: '(', is_regular: true },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.issues.map((i: any) => i.path)).toEqual(['secret', 'main_repo.branch']);
    const params = await engine.api('POST', triggers('bad-defs', 'git'), gitTrigger({ params: { NOPE: 'x' } }));
    expect(params.status).toBe(400);
    expect(params.body.issues).toEqual([expect.objectContaining({ path: 'params.NOPE' })]);
    const schema = await engine.api('POST', triggers('bad-defs', 'timer'), { name: 't', job_type: 'hourly' });
    expect(schema.status).toBe(400);
    const timer = await engine.api('POST', triggers('bad-defs', 'timer'), {
      name: 't',
      job_type: 'timing',
      time: '9am',
    });
    expect(timer.status).toBe(400);
    expect(timer.body.issues.map((i: any) => i.path)).toEqual(['time', 'frequency']);
    const mixed = await engine.api('POST', triggers('bad-defs', 'timer'), {
      name: 't',
      job_type: 'gap',
      frequency: 'hours',
      number: 2,
      cron: '0 3 * * *',
    });
    expect(mixed.status).toBe(400);
    expect(mixed.body.issues).toEqual([
      expect.objectContaining({ path: 'cron', message: 'does not apply to a gap timer' }),
    ]);
    expect((await engine.api('GET', triggers('bad-defs', 'git'))).body).toEqual([]);
    expect((await engine.api('GET', triggers('bad-defs', 'timer'))).body).toEqual([]);

    expect(
      (await engine.api('POST', triggers('bad-defs', 'general'), { name: 'g', secret: 'general-secret' })).status,
    ).toBe(201);
    const duplicate = await engine.api('POST', triggers('bad-defs', 'general'), {
      name: 'g',
      secret: 'general-secret',
    });
    expect(duplicate.status).toBe(409);
    // Mapping a body field to a param the workflow lacks could never start a run.
    const unmapped = await engine.api('POST', triggers('bad-defs', 'general'), {
      name: 'mapped',
      secret: 'general-secret',
      param_mapping: { TARGET: 'env', NOPE: 'x' },
    });
    expect(unmapped.status).toBe(400);
    expect(unmapped.body.issues).toEqual([
      { path: 'param_mapping.NOPE', message: 'no param "NOPE" in workflow "bad-defs"' },
    ]);
    expect((await engine.api('GET', triggers('bad-defs', 'general'))).body.map((t: any) => t.name)).toEqual(['g']);
    expect(
      (await engine.api('POST', `/api/v1/projects/${P}/workflows/missing/triggers/git`, gitTrigger())).status,
    ).toBe(404);
  });
});

describe('git webhooks', () => {
  let wf: string;
  beforeAll(async () => {
    wf = 'gh';
    await defineCi(wf);
    expect((await engine.api('POST', triggers(wf, 'git'), gitTrigger())).status).toBe(201);
  });

  it('start a run from a signed GitHub push with payload variables, trigger params and creator webhook', async () => {
    const d = github('push', githubPush(), 'delivery-push-1');
    const res = await engine.deliver('/hooks/github', d.body, d.headers);
    expect(res.status).toBe(200);
    expect(res.body.results).toEqual([
      {
        project: P,
        workflow: wf,
        trigger: 'on-main',
        decision: 'started',
        run_number: 1,
        reason: null,
        duplicate: false,
      },
    ]);
    const run = await engine.waitForStatus(P, wf, 1, 'passed');
    expect(run.creator).toBe('webhook');
    expect(job(run, 'build').outputs).toEqual({
      BRANCH: 'main',
      COMMIT: 'a'.repeat(40),
      REPO: 'octo-org/hello',
      T: 'prod',
      CREATOR: 'webhook',
      HAS_TOKEN: 'yes',
    });
  });

  it('take a GitHub delivery sent as a form (payload=<json>), signed over the form as sent', async () => {
    const before = (await runsOf(wf)).total;
    const form = `payload=${encodeURIComponent(JSON.stringify(githubPush({ after: 'c'.repeat(40), head_commit: { ...githubPush().head_commit, id: 'c'.repeat(40) } })))}`;
    const headers = {
      'content-type': 'application/x-www-form-urlencoded',
      'x-github-event': 'push',
      'x-github-delivery': 'delivery-form',
      'x-hub-signature-256': sign(form),
    };
    const res = await engine.deliver('/hooks/github', form, headers);
    expect(res.status).toBe(200);
    expect(res.body.results[0]).toMatchObject({ decision: 'started', duplicate: false });
    const run = await engine.waitForStatus(P, wf, res.body.results[0].run_number, 'passed');
    expect(job(run, 'build').outputs).toMatchObject({ COMMIT: 'c'.repeat(40), BRANCH: 'main' });
    expect((await runsOf(wf)).total).toBe(before + 1);

    // The signature covers the form's bytes: the same JSON signed as JSON does not verify.
    const resigned = {
      ...headers,
      'x-github-delivery': 'delivery-form-2',
      'x-hub-signature-256': sign(decodeURIComponent(form.slice(8))),
    };
    expect((await engine.deliver('/hooks/github', form, resigned)).status).toBe(401);
    const noPayload = await engine.deliver('/hooks/github', 'data=%7B%7D', headers);
    expect(noPayload.status).toBe(400);
    expect(noPayload.body.issues).toEqual([{ path: 'body.payload', message: 'required' }]);
    const broken = await engine.deliver('/hooks/github', 'payload=%7B', headers);
    expect(broken.body.issues).toEqual([{ path: 'body.payload', message: 'invalid JSON' }]);
    // Only GitHub sends forms.
    expect((await engine.deliver('/hooks/gitlab', form, headers)).status).toBe(415);
  });

  it('refuse a wrong signature with 401 and record nothing', async () => {
    const d = github('push', githubPush(), 'delivery-forged', 'not-the-secret');
    const res = await engine.deliver('/hooks/github', d.body, d.headers);
    expect(res.status).toBe(401);
    const tampered = github('push', githubPush(), 'delivery-tampered');
    const res2 = await engine.deliver(
      '/hooks/github',
      tampered.body.replace('Fix the thing', 'Evil'),
      tampered.headers,
    );
    expect(res2.status).toBe(401);
    expect((await deliveries(wf)).deliveries.map((x: any) => x.delivery_key)).not.toContain('delivery-forged');
    expect((await engine.deliver('/hooks/github', '{"broken', d.headers)).status).toBe(400);
    const asText = await engine.deliver('/hooks/github', d.body, { ...d.headers, 'content-type': 'text/plain' });
    expect(asText.status).toBe(415);
    const { repository: _repository, ...noRepository } = JSON.parse(d.body);
    const anonymous = await engine.deliver('/hooks/github', JSON.stringify(noRepository), d.headers);
    expect(anonymous.status).toBe(400);
    expect(anonymous.body).toEqual({
      error: 'validation_failed',
      message: 'github: the payload names no repository',
      issues: [{ path: 'body.repository', message: 'required' }],
    });
    // Without a payload or the event header the answer says so, not that a repository is missing.
    for (const [path, header] of [
      ['/hooks/github', 'x-github-event'],
      ['/hooks/gitlab', 'x-gitlab-event'],
      ['/hooks/gitee', 'x-gitee-event'],
    ]) {
      const withEvent = { [header!]: 'push' };
      for (const empty of ['', '[]', 'null']) {
        const res = await engine.deliver(path!, empty, withEvent);
        expect(res.status).toBe(400);
        expect(res.body.issues).toEqual([{ path: 'body', message: 'must be a JSON object' }]);
      }
      const noEvent = await engine.deliver(path!, d.body, {});
      expect(noEvent.status).toBe(400);
      expect(noEvent.body.issues).toEqual([{ path: `headers.${header}`, message: 'required' }]);
    }

    // Read before the signature is checked: fields of the wrong type are a 401 here, never a 500.
    const unsigned = { 'x-github-event': 'push', 'x-github-delivery': 'delivery-odd' };
    for (const odd of [{ ref: 1, head_commit: {} }, { commits: 5 }, { commits: [null] }]) {
      expect((await engine.deliver('/hooks/github', JSON.stringify(githubPush(odd)), unsigned)).status).toBe(401);
    }
    // A value no string can be made of reads as absent too: here the repository is not named.
    const unreadable = await engine.deliver(
      '/hooks/github',
      JSON.stringify(githubPush({ repository: { name: { toString: 1 } } })),
      unsigned,
    );
    expect(unreadable.status).toBe(400);
    expect(unreadable.body.message).toBe('github: the payload names no repository');
  });

  it('answer ping and record why a delivery was ignored', async () => {
    const ping = github('ping', { zen: 'hi', hook_id: 1 }, 'delivery-ping');
    expect((await engine.deliver('/hooks/github', ping.body, ping.headers)).body).toEqual({
      ok: true,
      message: 'pong',
    });
    const dev = github('push', githubPush({ ref: 'refs/heads/dev' }), 'delivery-dev');
    const res = await engine.deliver('/hooks/github', dev.body, dev.headers);
    expect(res.body.results[0]).toMatchObject({
      decision: 'ignored',
      reason: 'branch dev does not match main',
      run_number: null,
    });
    const closed = github('pull_request', githubPullRequest({ action: 'closed', state: 'closed' }), 'delivery-closed');
    await engine.deliver('/hooks/github', closed.body, closed.headers);
    const listed = (await deliveries(wf)).deliveries;
    expect(listed.find((x: any) => x.delivery_key === 'delivery-dev')).toMatchObject({
      source: 'github',
      event: 'push',
      decision: 'ignored',
      reason: 'branch dev does not match main',
      trigger: { kind: 'git', name: 'on-main' },
    });
    expect(listed.find((x: any) => x.delivery_key === 'delivery-closed')).toMatchObject({
      event: 'pull_request',
      reason: 'pull request action "closed" does not trigger',
    });
  });

  it('record a disabled trigger, and params the workflow no longer accepts, as reasons instead of runs', async () => {
    await defineCi('drift');
    await engine.api('POST', triggers('drift', 'git'), gitTrigger({ name: 'drift', enabled: false }));
    const d1 = github('push', githubPush({ after: 'e'.repeat(40) }), 'delivery-disabled');
    const r1 = await engine.deliver('/hooks/github', d1.body, d1.headers);
    expect(r1.body.results.find((r: any) => r.workflow === 'drift')).toMatchObject({
      decision: 'ignored',
      reason: 'the trigger is disabled',
    });
    await engine.api('PUT', `${triggers('drift', 'git')}/drift`, {
      ...gitTrigger({ name: 'drift' }),
      secret: undefined,
    });
    // The workflow drops the TARGET param the trigger still sets: checked again when fired.
    await engine.defineWorkflow({
      name: 'drift',
      project: P,
      params: [{ name: 'TOKEN', type: 'string', value: '', is_credential: true }],
      stages: [{ name: 's', jobs: [{ name: 'j', type: 'freestyle', spec: { script: 'true' } }] }],
    });
    const d2 = github(
      'push',
      githubPush({ after: 'c'.repeat(40), head_commit: { ...githubPush().head_commit, id: 'c'.repeat(40) } }),
      'delivery-drifted',
    );
    const r2 = await engine.deliver('/hooks/github', d2.body, d2.headers);
    expect(r2.body.results.find((r: any) => r.workflow === 'drift')).toMatchObject({
      decision: 'ignored',
      reason: 'the run was refused: invalid run params (params.TARGET)',
    });
    expect((await runsOf('drift')).total).toBe(0);
  });

  it('start exactly one run per delivery: redelivered, concurrent, and after a trigger-service restart', async () => {
    const before = (await runsOf(wf)).total;
    const d = github('push', githubPush({ after: 'b'.repeat(40) }), 'delivery-dup');
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => engine.deliver('/hooks/github', d.body, d.headers)),
    );
    const numbers = new Set(answers.map((a) => a.body.results[0].run_number));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(numbers.size).toBe(1);
    expect(answers.filter((a) => !a.body.results[0].duplicate)).toHaveLength(1);

    // A new trigger-service process (same database) sees the same decision.
    const restarted = await buildTriggerApp({
      db: engine.dbHandle.db,
      temporal: engine.temporal,
      box: new SecretBox(SECRET_KEY),
      logger,
      publicUrl: 'http://stagecoach.test',
      taskQueue: engine.taskQueue,
    });
    const again = await restarted.inject({
      method: 'POST',
      url: '/hooks/github',
      headers: { 'content-type': 'application/json', ...d.headers },
      payload: d.body,
    });
    await restarted.close();
    expect(again.json().results[0]).toMatchObject({
      decision: 'started',
      duplicate: true,
      run_number: [...numbers][0],
    });
    expect((await runsOf(wf)).total).toBe(before + 1);
  });

  it('answer a redelivery after the trigger service process was killed and started again', async () => {
    const port = await freePort();
    const start = () => engine.spawnService('trigger', { TRIGGER_PORT: String(port), LOG_LEVEL: 'silent' });
    const post = (d: { body: string; headers: Record<string, string> }) =>
      fetch(`http://127.0.0.1:${port}/hooks/github`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...d.headers },
        body: d.body,
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));
    const up = async () => {
      for (let i = 0; i < 300 && !(await isPortOpen(port)); i++) await new Promise((r) => setTimeout(r, 100));
    };
    const d = github('push', githubPush({ after: 'd'.repeat(40) }), 'delivery-across-processes');
    let service = start();
    await up();
    const first = await post(d);
    expect(first.body.results[0]).toMatchObject({ decision: 'started', duplicate: false });
    service.kill('SIGKILL');
    await new Promise((r) => service.once('exit', r));
    service = start();
    await up();
    const again = await post(d);
    service.kill('SIGTERM');
    await new Promise((r) => service.once('exit', r));
    expect(again.body.results[0]).toMatchObject({
      decision: 'started',
      duplicate: true,
      run_number: first.body.results[0].run_number,
    });
  });

  it('finish a start that a crashed trigger service left half done', async () => {
    // A Temporal client whose start fails stands in for a process dying after the run was allocated.
    const broken = Object.create(engine.temporal, {
      workflow: { value: { start: () => Promise.reject(new Error('connection lost')) } },
    });
    const crashing: FastifyInstance = await buildTriggerApp({
      db: engine.dbHandle.db,
      temporal: broken,
      box: new SecretBox(SECRET_KEY),
      logger,
      publicUrl: 'http://stagecoach.test',
      taskQueue: engine.taskQueue,
    });
    const d = github('push', githubPush({ after: 'c'.repeat(40) }), 'delivery-crash');
    const failed = await crashing.inject({
      method: 'POST',
      url: '/hooks/github',
      headers: { 'content-type': 'application/json', ...d.headers },
      payload: d.body,
    });
    await crashing.close();
    expect(failed.statusCode).toBe(500);
    const pending = (await deliveries(wf)).deliveries.find((x: any) => x.delivery_key === 'delivery-crash');
    expect(pending).toMatchObject({ decision: 'starting' });

    // A sweep whose start fails again reports it and goes on; the row stays for the next one.
    const sweepWith = (temporal: typeof engine.temporal) =>
      finishInterruptedStarts({
        db: engine.dbHandle.db,
        temporal,
        box: new SecretBox(SECRET_KEY),
        taskQueue: engine.taskQueue,
      });
    expect(await sweepWith(broken)).toEqual({
      finished: 0,
      refused: [],
      failed: [{ deliveryId: pending.id, runNumber: pending.run_number, error: 'connection lost' }],
    });
    // The start-up sweep of the next process finishes it; the provider's redelivery then sees it done.
    expect(await sweepWith(engine.temporal)).toEqual({ finished: 1, refused: [], failed: [] });
    const redelivered = await engine.deliver('/hooks/github', d.body, d.headers);
    expect(redelivered.body.results[0]).toMatchObject({
      decision: 'started',
      duplicate: true,
      run_number: pending.run_number,
    });
    await engine.waitForStatus(P, wf, pending.run_number, 'passed');
  });

  it('auto_cancel cancels the earlier unfinished run of the same pull request when a new commit arrives', async () => {
    await defineCi('slow', 'sleep 60');
    await engine.api('POST', triggers('slow', 'git'), gitTrigger({ name: 'prs', auto_cancel: true, params: {} }));
    const first = github('pull_request', githubPullRequest({ sha: '1'.repeat(40), number: 42 }), 'pr-1');
    const n1 = (await engine.deliver('/hooks/github', first.body, first.headers)).body.results.find(
      (r: any) => r.workflow === 'slow',
    ).run_number;
    await engine.waitForRun(P, 'slow', n1, (r) => job(r, 'build').status === 'running');
    const other = github('pull_request', githubPullRequest({ sha: '3'.repeat(40), number: 43 }), 'pr-other');
    const nOther = (await engine.deliver('/hooks/github', other.body, other.headers)).body.results.find(
      (r: any) => r.workflow === 'slow',
    ).run_number;
    const second = github(
      'pull_request',
      githubPullRequest({ action: 'synchronize', sha: '2'.repeat(40), number: 42 }),
      'pr-2',
    );
    const n2 = (await engine.deliver('/hooks/github', second.body, second.headers)).body.results.find(
      (r: any) => r.workflow === 'slow',
    ).run_number;
    expect(new Set([n1, n2, nOther]).size).toBe(3);
    await engine.waitForStatus(P, 'slow', n1, 'cancelled');
    // Another PR and the new commit's own run are untouched.
    for (const n of [n2, nOther]) {
      expect((await engine.getRun(P, 'slow', n)).status).not.toBe('cancelled');
      await engine.api('POST', `/api/v1/projects/${P}/workflows/slow/runs/${n}/cancel`, {});
    }
  });

  it('take GitLab (X-Gitlab-Token) and Gitee (signed X-Gitee-Token) deliveries', async () => {
    await defineCi('gl');
    await engine.api('POST', triggers('gl', 'git'), {
      name: 'mr',
      secret: 'gitlab-token-1',
      main_repo: {
        source: 'gitlab',
        repo_owner: 'group/sub',
        repo_name: 'svc',
        branch: 'dev.*',
        is_regular: true,
        events: ['pull_request'],
      },
    });
    const mr = JSON.stringify(gitlabMergeRequest());
    const wrong = await engine.deliver('/hooks/gitlab', mr, {
      'x-gitlab-event': 'Merge Request Hook',
      'x-gitlab-token': 'nope',
    });
    expect(wrong.status).toBe(401);
    const glHeaders = {
      'x-gitlab-event': 'Merge Request Hook',
      'x-gitlab-token': 'gitlab-token-1',
      'x-gitlab-event-uuid': 'gl-uuid-1',
      'idempotency-key': 'gl-key-1',
    };
    const ok = await engine.deliver('/hooks/gitlab', mr, glHeaders);
    expect(ok.body.results[0]).toMatchObject({ decision: 'started', workflow: 'gl' });
    // A resend carries the same Idempotency-Key under a new event UUID: the same delivery.
    const glResent = await engine.deliver('/hooks/gitlab', mr, { ...glHeaders, 'x-gitlab-event-uuid': 'gl-uuid-2' });
    expect(glResent.body.results[0]).toMatchObject({ duplicate: true, run_number: ok.body.results[0].run_number });
    // Another event of the same request (same event UUID, no key from an older GitLab): its own delivery.
    const { 'idempotency-key': _key, ...olderGitlab } = glHeaders;
    const mrUpdate = JSON.stringify(gitlabMergeRequest({ iid: 8 }));
    const related = await engine.deliver('/hooks/gitlab', mrUpdate, olderGitlab);
    expect(related.body.results[0]).toMatchObject({ duplicate: false });
    const run = await engine.waitForStatus(P, 'gl', ok.body.results[0].run_number, 'passed');
    expect(job(run, 'build').outputs).toMatchObject({ BRANCH: 'feat', COMMIT: 'c'.repeat(40) });

    await defineCi('ge');
    await engine.api('POST', triggers('ge', 'git'), {
      name: 'push',
      secret: 'gitee-signing-secret',
      main_repo: { source: 'gitee', repo_owner: 'oschina', repo_name: 'gitee', branch: 'master', events: ['push'] },
    });
    const ts = String(Date.now());
    const token = createHmac('sha256', 'gitee-signing-secret').update(`${ts}\ngitee-signing-secret`).digest('base64');
    const push = JSON.stringify(giteePush());
    const started = await engine.deliver('/hooks/gitee', push, {
      'x-gitee-event': 'Push Hook',
      'x-gitee-token': token,
      'x-gitee-timestamp': ts,
    });
    expect(started.body.results[0]).toMatchObject({ decision: 'started', workflow: 'ge' });
    // Gitee sends no delivery id: the same body again is the same delivery.
    const resent = await engine.deliver('/hooks/gitee', push, {
      'x-gitee-event': 'Push Hook',
      'x-gitee-token': token,
      'x-gitee-timestamp': ts,
    });
    expect(resent.body.results[0]).toMatchObject({ duplicate: true, run_number: started.body.results[0].run_number });
    const geRun = await engine.waitForStatus(P, 'ge', started.body.results[0].run_number, 'passed');
    expect(JSON.stringify(geRun)).not.toContain('pwd-never-in-variables');
  });
});

describe('general webhooks', () => {
  it('need the HMAC signature or token, honour Idempotency-Key and map body fields to params', async () => {
    await defineCi('gen');
    const created = await engine.api('POST', triggers('gen', 'general'), {
      name: 'deploy',
      secret: 'general-hmac-key',
      param_mapping: { TARGET: 'env.name' },
    });
    const url = new URL(created.body.hook_url).pathname;
    const body = JSON.stringify({ env: { name: 'qa' } });
    const headers = { 'x-stagecoach-signature-256': sign(body, 'general-hmac-key'), 'idempotency-key': 'deploy-qa-1' };
    expect(
      (await engine.deliver(url, body, { ...headers, 'x-stagecoach-signature-256': sign(body, 'x') })).status,
    ).toBe(401);
    const first = await engine.deliver(url, body, headers);
    expect(first.body.results[0]).toMatchObject({ decision: 'started', duplicate: false });
    const second = await engine.deliver(url, body, headers);
    expect(second.body.results[0]).toMatchObject({ duplicate: true, run_number: first.body.results[0].run_number });
    const run = await engine.waitForStatus(P, 'gen', first.body.results[0].run_number, 'passed');
    expect(run.creator).toBe('general_hook');
    expect(job(run, 'build').outputs.T).toBe('qa');

    const missing = JSON.stringify({ env: {} });
    const bad = await engine.deliver(url, missing, { authorization: 'Bearer general-hmac-key' });
    expect(bad.status).toBe(400);
    expect(bad.body.issues).toEqual([{ path: 'body.env.name', message: 'required (maps to param TARGET)' }]);
    expect((await engine.deliver('/hooks/general/not-a-uuid', body, headers)).status).toBe(404);

    // A mapped value the workflow refuses is the sender's to correct: 400, nothing recorded, so the
    // corrected delivery under the same Idempotency-Key starts the run.
    const retried = { authorization: 'Bearer general-hmac-key', 'idempotency-key': 'deploy-fix-1' };
    const wrong = await engine.deliver(url, JSON.stringify({ env: { name: '{{.workflow.params.TOKEN}}' } }), retried);
    expect(wrong.status).toBe(400);
    expect(wrong.body.issues).toEqual([
      { path: 'params.TARGET', message: 'must not contain a variable reference ({{.…}})' },
    ]);
    const corrected = await engine.deliver(url, JSON.stringify({ env: { name: 'prod' } }), retried);
    expect(corrected.body.results[0]).toMatchObject({ decision: 'started', duplicate: false });

    // A body Temporal refuses to start a run with (over its payload size limit): recorded as
    // ignored with the reason and the allocated run removed, not left 'starting' for ever.
    const runsBefore = (await runsOf('gen')).runs.length;
    // Values are capped at 4096 characters each; quotes double when the run input is encoded.
    const fields = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`f${i}`, '"'.repeat(4096)]));
    const huge = JSON.stringify({ env: { name: 'qa' }, ...fields });
    const tooBig = await engine.deliver(url, huge, { authorization: 'Bearer general-hmac-key' });
    expect(tooBig.status).toBe(200);
    expect(tooBig.body.results[0]).toMatchObject({ decision: 'ignored', run_number: null });
    expect(tooBig.body.results[0].reason).toMatch(/^Temporal refused the run: /);
    const recorded = (await deliveries('gen')).deliveries.find((x: any) => x.reason?.startsWith('Temporal refused'));
    expect(recorded).toMatchObject({ decision: 'ignored', run_number: null });
    expect((await runsOf('gen')).runs).toHaveLength(runsBefore);

    // PostgreSQL stores no NUL: refused with its place named, and nothing recorded.
    const nul = JSON.stringify({ env: { name: 'qa' }, note: 'a\u0000b' });
    const before = (await deliveries('gen')).deliveries.length;
    const refused = await engine.deliver(url, nul, { authorization: 'Bearer general-hmac-key' });
    expect(refused.status).toBe(400);
    expect(refused.body.issues).toEqual([
      { path: 'body.note', message: 'contains a NUL character, which cannot be stored' },
    ]);
    expect((await deliveries('gen')).deliveries).toHaveLength(before);
  });

  it("never fill a credential into text the payload brings, only into the author's placeholders", async () => {
    await defineCi(
      'gen-inject',
      'T="{{.payload.note}}"\n[ "{{.workflow.params.TOKEN}}" = s3cret-param ] && HAS_TOKEN=yes',
    );
    const created = await engine.api('POST', triggers('gen-inject', 'general'), {
      name: 'inject',
      secret: 'general-hmac-key',
      params: { TOKEN: 's3cret-param' },
    });
    const url = new URL(created.body.hook_url).pathname;
    const body = JSON.stringify({ note: 'x{{.workflow.params.TOKEN}}y' });
    const started = await engine.deliver(url, body, { authorization: 'Bearer general-hmac-key' });
    expect(started.body.results[0]).toMatchObject({ decision: 'started' });
    const run = await engine.waitForStatus(P, 'gen-inject', started.body.results[0].run_number, 'passed');
    expect(job(run, 'build').outputs).toMatchObject({ T: 'xy', HAS_TOKEN: 'yes' });
  });
});

describe('Jira and Feishu Project', () => {
  it('Jira status changes start runs as jira_hook and the result is commented on the issue', async () => {
    await defineCi('jira');
    const created = await engine.api('POST', triggers('jira', 'jira'), {
      name: 'to-done',
      secret: 'jira-url-token',
      jira_url: vendorUrl,
      jira_user: 'bot@example.com',
      jira_token: JIRA_TOKEN,
      enabled_issue_status_change: true,
      from_status: { id: '000000', name: 'any' },
      to_status: { id: '10002', name: 'Done' },
    });
    expect(created.text).not.toContain(JIRA_TOKEN);
    const path = new URL(created.body.hook_url).pathname;
    const event = (to: string) =>
      JSON.stringify({
        timestamp: Date.now(),
        webhookEvent: 'jira:issue_updated',
        issue_event_type_name: 'issue_generic',
        user: { displayName: 'Ann' },
        issue: { id: '10050', key: 'OPS-12', fields: { summary: 'Ship it', status: { id: to, name: 'Done' } } },
        changelog: {
          id: '1',
          items: [{ field: 'status', fieldtype: 'jira', from: '3', fromString: 'In Progress', to, toString: 'Done' }],
        },
      });
    expect((await engine.deliver(`${path}?token=wrong`, event('10002'), {})).status).toBe(401);
    const twice = await engine.deliver(`${path}?token=jira-url-token&token=x`, event('10002'), {});
    expect(twice.status).toBe(400);
    expect(twice.body.issues[0].path).toBe('querystring.token');
    const skipped = await engine.deliver(`${path}?token=jira-url-token`, event('3'), {
      'x-atlassian-webhook-identifier': 'j-0',
    });
    expect(skipped.body.results[0]).toMatchObject({ decision: 'ignored' });
    const res = await engine.deliver(`${path}?token=jira-url-token`, event('10002'), {
      'x-atlassian-webhook-identifier': 'j-1',
    });
    expect(res.body.results[0]).toMatchObject({ decision: 'started' });
    const n = res.body.results[0].run_number;
    const run = await engine.waitForStatus(P, 'jira', n, 'passed');
    expect(run.creator).toBe('jira_hook');
    await expect
      .poll(() => comments.filter((c) => c.path === '/rest/api/2/issue/OPS-12/comment').length, { timeout: 15_000 })
      .toBe(1);
    const comment = comments.find((c) => c.path === '/rest/api/2/issue/OPS-12/comment')!;
    expect(comment.body.body).toContain(`✅ Stagecoach workflow jira run #${n} ended: passed`);
    expect(comment.body.body).toContain(`http://stagecoach.test/api/v1/projects/${P}/workflows/jira/runs/${n}`);
  });

  it('Feishu Project work-item events start runs as meego_hook and the result is commented back', async () => {
    await defineCi('meego', 'exit 3');
    const created = await engine.api('POST', triggers('meego', 'meego'), {
      name: 'story',
      secret: 'meego-verify-token',
      meego_url: vendorUrl,
      user_key: 'u-bot',
      plugin_token: PLUGIN_TOKEN,
    });
    const path = new URL(created.body.hook_url).pathname;
    const event = (token: string) =>
      JSON.stringify({
        header: { operator: 'u-1', event_type: 'WorkitemUpdateEvent', token, uuid: 'mg-1' },
        payload: { id: 777, name: 'Story', project_key: 'proj1', work_item_type_key: 'story' },
      });
    expect((await engine.deliver(path, event('forged'), {})).status).toBe(401);
    const res = await engine.deliver(path, event('meego-verify-token'), {});
    const n = res.body.results[0].run_number;
    const run = await engine.waitForStatus(P, 'meego', n, 'failed');
    expect(run.creator).toBe('meego_hook');
    const target = '/open_api/proj1/work_item/story/777/comment/create';
    await expect.poll(() => comments.filter((c) => c.path === target).length, { timeout: 15_000 }).toBe(1);
    expect(comments.find((c) => c.path === target)!.body.content).toContain(
      `❌ Stagecoach workflow meego run #${n} ended: failed`,
    );
  });
});

describe('timers', () => {
  const addTimer = (wf: string, body: Record<string, unknown>) => engine.api('POST', triggers(wf, 'timer'), body);

  it('refuse a time Temporal could not schedule with a 400 naming the field, and save nothing', async () => {
    await defineCi('never', 'true');
    const refusedCron = await addTimer('never', { name: 'bad-cron', job_type: 'crontab', cron: '61 * * * *' });
    expect(refusedCron.status).toBe(400);
    expect(refusedCron.body.issues).toEqual([{ path: 'cron', message: 'minute "61": values must be 0-59' }]);
    const refusedStamp = await addTimer('never', { name: 'bad-stamp', job_type: 'unix_stamp', unix_stamp: 1 });
    expect(refusedStamp.status).toBe(400);
    expect(refusedStamp.body.issues[0]).toMatchObject({ path: 'unix_stamp', message: expect.stringMatching(/future/) });
    expect((await engine.api('GET', triggers('never', 'timer'))).body).toEqual([]);

    // Should a timer pass these checks and the server still refuse it, the refusal is named the same way.
    const unchecked = {
      id: '00000000-0000-4000-8000-000000000001',
      enabled: true,
      config: { job_type: 'crontab', cron: '61 * * * *' },
    };
    await expect(
      syncTimerSchedule(engine.temporal, unchecked as unknown as TriggerRow, engine.taskQueue),
    ).rejects.toMatchObject({
      issues: [{ path: 'cron', message: expect.stringMatching(/Minute is not in range \[0-59\]/) }],
    });
  });

  it('are Temporal schedules kept in step with the trigger; a firing starts a run as timer, overlapping firings skip', async () => {
    await defineCi('nightly', 'sleep 8; T="{{.workflow.params.TARGET}}"');
    const created = await addTimer('nightly', {
      name: 'nightly',
      job_type: 'timing',
      frequency: 'day',
      time: '02:30',
      time_zone: 'Asia/Shanghai',
      params: { TARGET: 'nightly' },
    });
    expect(created.status).toBe(201);
    const schedule = engine.temporal.schedule.getHandle(timerScheduleId(created.body.id));
    const described = await schedule.describe();
    expect(described.spec.timezone).toBe('Asia/Shanghai');
    expect(described.spec.calendars?.[0]).toMatchObject({
      hour: [{ start: 2, end: 2, step: 1 }],
      minute: [{ start: 30, end: 30, step: 1 }],
    });
    expect(described.state.paused).toBe(false);

    // Fire now, twice: the second firing comes while the first run still runs and is skipped.
    await schedule.trigger();
    await expect
      .poll(async () => (await deliveries('nightly')).deliveries.map((d: any) => d.decision), { timeout: 30_000 })
      .toEqual(['started']);
    // A schedule names each firing's workflow by the second it fired in: a second firing within the
    // same second would be the same workflow.
    await new Promise((r) => setTimeout(r, 1100));
    await schedule.trigger();
    await expect
      .poll(async () => (await deliveries('nightly')).deliveries.filter((d: any) => d.decision === 'ignored').length, {
        timeout: 30_000,
      })
      .toBe(1);
    const run = await engine.waitForStatus(P, 'nightly', 1, 'passed');
    expect(run.creator).toBe('timer');
    expect(run.params).toMatchObject({ TARGET: 'nightly' });
    expect((await deliveries('nightly')).deliveries.find((d: any) => d.decision === 'ignored').reason).toBe(
      'run 1 of this trigger is still running (overlap policy: skip)',
    );

    // Disabling pauses the schedule; changing the form changes the spec; deleting removes it.
    const updated = await engine.api('PUT', `${triggers('nightly', 'timer')}/nightly`, {
      name: 'nightly',
      enabled: false,
      job_type: 'crontab',
      cron: '*/5 * * * *',
    });
    expect(updated.status).toBe(200);
    const after = await schedule.describe();
    expect(after.state.paused).toBe(true);
    expect(after.spec.calendars?.[0]?.minute).toEqual([{ start: 0, end: 59, step: 5 }]);
    expect((await engine.api('DELETE', `${triggers('nightly', 'timer')}/nightly`)).status).toBe(204);
    await expect(schedule.describe()).rejects.toThrow();
  });
});
