import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '@stagecoach/testkit';

/**
 * Zadig's OpenAPI (`/openapi/workflows/...`) driven as a Zadig script drives it: a user's API
 * token, Zadig's paths, query and body fields, and Zadig's answers checked field by field.
 */
const P = 'zadig';
const PASSWORD = 'a long enough password';
let engine: Engine;
/** API tokens: `scripter` is project admin, `approver` a member listed on gates, `stranger` has no role. */
const tokens: Record<'scripter' | 'approver' | 'stranger', string> = { scripter: '', approver: '', stranger: '' };

async function apiToken(username: string): Promise<string> {
  expect((await engine.api('POST', '/api/v1/users', { username, password: PASSWORD })).status).toBe(201);
  const session = (await engine.api('POST', '/api/v1/login', { username, password: PASSWORD }, { token: null })).body
    .token as string;
  const made = await engine.api(
    'POST',
    '/api/v1/users/me/tokens',
    { name: 'zadig-script', expires_in_days: 30 },
    { token: session },
  );
  expect(made.status).toBe(201);
  return made.body.token as string;
}

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
const call = (
  method: Method,
  url: string,
  body?: unknown,
  who: keyof typeof tokens = 'scripter',
  contentType?: string,
) => engine.api(method, url, body, { token: tokens[who], contentType });

const now = () => Math.floor(Date.now() / 1000);
const recent = (t: unknown) => typeof t === 'number' && t > now() - 600 && t <= now() + 1;

/** Zadig's error body: `{type: "error", code, message, description, extra}`. */
function expectZadigError(res: { status: number; body: any }, status: number, message: string, names?: RegExp) {
  expect(res.status).toBe(status);
  expect(Object.keys(res.body).sort()).toEqual(['code', 'description', 'extra', 'message', 'type']);
  expect(res.body).toMatchObject({ type: 'error', code: status, message });
  if (names) expect(res.body.description).toMatch(names);
}

/** Polls the task detail as a script does until `done` holds. */
async function waitTask(workflowKey: string, taskId: number, done: (task: any) => boolean, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let task: any;
  while (Date.now() < deadline) {
    const res = await call('GET', `/openapi/workflows/custom/task?workflowKey=${workflowKey}&taskId=${taskId}`);
    expect(res.status).toBe(200);
    task = res.body;
    if (done(task)) return task;
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`task ${workflowKey}#${taskId} did not get there; last: ${JSON.stringify(task)}`);
}
const finished = (task: any) => ['passed', 'failed', 'cancelled', 'timeout', 'reject'].includes(task.status);
const jobOf = (task: any, name: string) => task.stages.flatMap((s: any) => s.jobs).find((j: any) => j.name === name);

const runTask = async (body: Record<string, unknown>, who: keyof typeof tokens = 'scripter') => {
  const res = await call('POST', '/openapi/workflows/custom/task', { project_key: P, ...body }, who);
  expect(res.status, res.text).toBe(200);
  return res.body.task_id as number;
};

const BUILD_DEPLOY = (description: string) => `# a Zadig custom workflow, as its YAML editor shows it
name: build-deploy
display_name: Build and deploy
project: ${P}
description: ${description}
params:
  - name: branch
    type: string
    default: main
  - name: env
    type: choice
    choice_option: [dev, prod]
    default: dev
stages:
  - name: build
    jobs:
      - name: build
        type: freestyle
        spec:
          script: echo "building {{.workflow.params.branch}} for {{.workflow.params.env}}"
  - name: deploy
    jobs:
      - name: deploy
        type: freestyle
        spec:
          script: echo deploying
`;

beforeAll(async () => {
  engine = await Engine.start();
  expect((await engine.api('POST', '/api/v1/projects', { name: P })).status).toBe(201);
  tokens.scripter = await apiToken('scripter');
  tokens.approver = await apiToken('approver');
  tokens.stranger = await apiToken('stranger');
  for (const [user, role] of [
    ['scripter', 'admin'],
    ['approver', 'member'],
  ]) {
    expect((await engine.api('PUT', `/api/v1/projects/${P}/members/${user}`, { role })).status).toBe(204);
  }
});
afterAll(async () => {
  await engine?.stop();
});

describe('Zadig OpenAPI: authentication and access', () => {
  it('needs a valid token, and a role in the project', async () => {
    const url = `/openapi/workflows?projectKey=${P}`;
    expectZadigError(await engine.api('GET', url, undefined, { token: null }), 401, 'Unauthorized');
    expectZadigError(await engine.api('GET', url, undefined, { token: 'scp_forged' }), 401, 'Unauthorized');
    expectZadigError(await call('GET', url, undefined, 'stranger'), 403, 'Forbidden', /stranger.*"zadig"/);
    const run = await call('POST', '/openapi/workflows/custom/task', { project_key: P, workflow_key: 'x' }, 'stranger');
    expectZadigError(run, 403, 'Forbidden');
    // A member may run but not edit.
    const edit = await call(
      'POST',
      `/openapi/workflows/custom?projectName=${P}`,
      BUILD_DEPLOY('x'),
      'approver',
      'text/plain',
    );
    expectZadigError(edit, 403, 'Forbidden', /may not edit/);
    // Without the project the request cannot be judged; the answer names Zadig's field.
    expectZadigError(await call('GET', '/openapi/workflows'), 400, 'Bad Request', /projectKey/);
  });
});

describe('Zadig OpenAPI: workflows', () => {
  it('creates a workflow from YAML, lists it, shows it, updates it', async () => {
    const created = await call(
      'POST',
      `/openapi/workflows/custom?projectName=${P}`,
      BUILD_DEPLOY('first'),
      'scripter',
      'text/plain',
    );
    expect(created.status, created.text).toBe(200);
    expect(created.body).toEqual({ message: 'success' });
    const again = await call(
      'POST',
      `/openapi/workflows/custom?projectName=${P}`,
      BUILD_DEPLOY('x'),
      'scripter',
      'text/plain',
    );
    expectZadigError(again, 409, 'Conflict', /already exists/);

    const listed = await call('GET', `/openapi/workflows?projectKey=${P}`);
    expect(listed.status).toBe(200);
    expect(listed.body.workflows).toHaveLength(1);
    const [brief] = listed.body.workflows;
    expect(Object.keys(brief).sort()).toEqual(['type', 'update_by', 'update_time', 'workflow_key', 'workflow_name']);
    expect(brief).toMatchObject({
      workflow_key: 'build-deploy',
      workflow_name: 'Build and deploy',
      update_by: 'scripter',
      type: 'custom',
    });
    expect(recent(brief.update_time)).toBe(true);

    const detail = await call('GET', `/openapi/workflows/custom/build-deploy/detail?projectKey=${P}`);
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({
      workflow_key: 'build-deploy',
      workflow_name: 'Build and deploy',
      project_key: P,
      description: 'first',
      created_by: 'scripter',
      updated_by: 'scripter',
      notify_ctls: [],
      share_storages: [],
    });
    expect(recent(detail.body.create_time) && recent(detail.body.update_time)).toBe(true);
    expect(detail.body.params.map((p: any) => [p.name, p.type, p.default])).toEqual([
      ['branch', 'string', 'main'],
      ['env', 'choice', 'dev'],
    ]);
    expect(
      detail.body.stages.map((s: any) => [s.name, s.parallel, s.jobs.map((j: any) => `${j.name}:${j.type}`)]),
    ).toEqual([
      ['build', false, ['build:freestyle']],
      ['deploy', false, ['deploy:freestyle']],
    ]);
    expect(typeof detail.body.concurrency_limit).toBe('number');

    const updated = await call(
      'PUT',
      `/openapi/workflows/custom/build-deploy?projectName=${P}`,
      BUILD_DEPLOY('second'),
      'scripter',
      'text/plain',
    );
    expect(updated.status, updated.text).toBe(200);
    expect(updated.body).toEqual({ message: 'success' });
    expect((await call('GET', `/openapi/workflows/custom/build-deploy/detail?projectKey=${P}`)).body.description).toBe(
      'second',
    );
    // The REST API sees the same workflow, with the update as its second version.
    expect((await engine.api('GET', `/api/v1/projects/${P}/workflows/build-deploy`)).body.version).toBe(2);
  });

  it('refuses bad definitions with the line, a key that is not the URL one, an unknown workflow', async () => {
    const broken = BUILD_DEPLOY('x').replace(
      'name: deploy\n        type: freestyle',
      'name: deploy\n        type: freestyel',
    );
    const line = broken.split('\n').findIndex((l) => l.includes('freestyel')) + 1;
    const res = await call(
      'PUT',
      `/openapi/workflows/custom/build-deploy?projectName=${P}`,
      broken,
      'scripter',
      'text/plain',
    );
    expectZadigError(res, 400, 'Bad Request', new RegExp(`stages\\[1\\]\\.jobs\\[0\\]\\.type \\(line ${line}\\)`));
    expect(res.body.extra.issues[0]).toMatchObject({ path: 'stages[1].jobs[0].type', line });

    const renamed = await call(
      'PUT',
      `/openapi/workflows/custom/other?projectName=${P}`,
      BUILD_DEPLOY('x'),
      'scripter',
      'text/plain',
    );
    expectZadigError(renamed, 400, 'Bad Request', /name: must equal the workflow key/);
    const absent = BUILD_DEPLOY('x').replace('name: build-deploy', 'name: absent');
    const update = await call(
      'PUT',
      `/openapi/workflows/custom/absent?projectName=${P}`,
      absent,
      'scripter',
      'text/plain',
    );
    expectZadigError(update, 404, 'Request Not Found', /absent/);
    // The project comes from the YAML when the query does not name it; another project is refused.
    const elsewhere = await call(
      'POST',
      '/openapi/workflows/custom',
      absent.replace(`project: ${P}`, 'project: zadig-x'),
      'scripter',
      'text/plain',
    );
    expectZadigError(elsewhere, 403, 'Forbidden', /"zadig-x"/);
    const mismatch = await call(
      'POST',
      `/openapi/workflows/custom?projectName=${P}`,
      absent.replace(`project: ${P}`, 'project: other'),
      'scripter',
      'text/plain',
    );
    expectZadigError(mismatch, 400, 'Bad Request', /project: must equal/);
    expectZadigError(
      await call('GET', `/openapi/workflows/custom/nope/detail?projectKey=${P}`),
      404,
      'Request Not Found',
      /nope/,
    );
  });
});

describe('Zadig OpenAPI: tasks', () => {
  it('runs with parameters and job inputs, reports the task, pages the history', async () => {
    const taskId = await runTask({
      workflow_key: 'build-deploy',
      parameters: [
        { name: 'branch', type: 'string', value: 'feature-x' },
        { name: 'env', type: 'choice', value: 'prod' },
      ],
      // Zadig runs the listed jobs and skips the rest.
      inputs: [{ job_name: 'build', job_type: 'freestyle', parameters: {} }],
    });
    expect(taskId).toBe(1);
    const task = await waitTask('build-deploy', 1, finished);
    expect(task).toMatchObject({
      task_id: 1,
      workflow_key: 'build-deploy',
      workflow_name: 'Build and deploy',
      project_key: P,
      status: 'passed',
      task_creator: 'scripter',
      remark: '',
      reverted: false,
      is_restart: false,
    });
    expect(recent(task.create_time) && recent(task.start_time) && recent(task.end_time)).toBe(true);
    expect(task.params.map((p: any) => [p.name, p.type, p.value])).toEqual([
      ['branch', 'string', 'feature-x'],
      ['env', 'choice', 'prod'],
    ]);
    expect(task.stages.map((s: any) => s.name)).toEqual(['build', 'deploy']);
    expect(task.stages[0]).toMatchObject({ name: 'build', status: 'passed', parallel: false, manual_exec: null });
    expect(jobOf(task, 'build')).toMatchObject({
      name: 'build',
      key: 'build',
      type: 'freestyle',
      status: 'passed',
      error: '',
    });
    expect(jobOf(task, 'build').cost_seconds).toBeGreaterThanOrEqual(0);
    expect(jobOf(task, 'deploy').status).toBe('skipped');
    const log = await engine.api('GET', `/api/v1/projects/${P}/workflows/build-deploy/runs/1/jobs/build/logs`);
    expect(log.text).toContain('building feature-x for prod');

    // Without inputs every job runs as configured.
    expect(await runTask({ workflow_key: 'build-deploy' })).toBe(2);
    expect(await runTask({ workflow_key: 'build-deploy', remark: 'third' })).toBe(3);
    const third = await waitTask('build-deploy', 3, finished);
    expect([third.status, jobOf(third, 'deploy').status, third.remark]).toEqual(['passed', 'passed', 'third']);
    await waitTask('build-deploy', 2, finished);

    const page = (n: number) =>
      call('GET', `/openapi/workflows/custom/build-deploy/tasks?projectKey=${P}&pageNum=${n}&pageSize=2`);
    const first = await page(1);
    expect(first.status).toBe(200);
    expect(first.body.total).toBe(3);
    expect(first.body.workflow_tasks.map((t: any) => t.task_id)).toEqual([3, 2]);
    expect(Object.keys(first.body.workflow_tasks[0]).sort()).toEqual([
      'create_time',
      'end_time',
      'project_key',
      'start_time',
      'status',
      'task_creator',
      'task_id',
      'workflow_key',
      'workflow_name',
    ]);
    expect(first.body.workflow_tasks[0]).toMatchObject({
      workflow_key: 'build-deploy',
      workflow_name: 'Build and deploy',
      project_key: P,
      task_creator: 'scripter',
      status: 'passed',
    });
    expect((await page(2)).body.workflow_tasks.map((t: any) => t.task_id)).toEqual([1]);
    // Zadig's defaults: first page of ten.
    const defaults = await call('GET', `/openapi/workflows/custom/build-deploy/tasks?projectKey=${P}`);
    expect(defaults.body.workflow_tasks).toHaveLength(3);
  });

  it('refuses what it cannot honour, naming the field', async () => {
    const run = (body: Record<string, unknown>) =>
      call('POST', '/openapi/workflows/custom/task', { project_key: P, workflow_key: 'build-deploy', ...body });
    expectZadigError(
      await run({ parameters: [{ name: 'nope', value: 'x' }] }),
      400,
      'Bad Request',
      /parameters\[0\]\.name: no parameter "nope"/,
    );
    expectZadigError(
      await run({
        parameters: [
          { name: 'branch', value: 'b' },
          { name: 'env', value: 'staging' },
        ],
      }),
      400,
      'Bad Request',
      /parameters\[1\]\.value: "staging" is not one of the options/,
    );
    expectZadigError(
      await run({ inputs: [{ job_name: 'nope' }] }),
      400,
      'Bad Request',
      /inputs\[0\]\.job_name: no job "nope"/,
    );
    expectZadigError(
      await run({ inputs: [{ job_name: 'build', job_type: 'zadig-build' }] }),
      400,
      'Bad Request',
      /inputs\[0\]\.job_type: job "build" is of type "freestyle"/,
    );
    const kv = await run({
      inputs: [{ job_name: 'build', job_type: 'freestyle', parameters: { kv: [{ key: 'A', value: 'b' }] } }],
    });
    expectZadigError(
      kv,
      400,
      'Bad Request',
      /inputs\[0\]\.parameters\.kv: job "build": per-job inputs cannot be applied/,
    );
    expect(kv.body.extra.issues).toEqual([expect.objectContaining({ path: 'inputs[0].parameters.kv' })]);
    expectZadigError(await run({ notify_inputs: [{ id: 0, type: 'mail' }] }), 400, 'Bad Request', /notify_inputs/);
    expectZadigError(await run({ parameters: 'branch=x' }), 400, 'Bad Request', /parameters/);
    // Which of two values a repeated key means is not ours to guess.
    const twice = `{"project_key": "${P}", "workflow_key": "build-deploy", "parameters": [{"name": "branch", "value": "a", "value": "b"}]}`;
    expectZadigError(
      await call('POST', '/openapi/workflows/custom/task', twice, 'scripter', 'application/json'),
      400,
      'Bad Request',
      /body\.parameters\.0\.value is given more than once/,
    );
    const unknown = await call('POST', '/openapi/workflows/custom/task', { project_key: P, workflow_key: 'nope' });
    expectZadigError(unknown, 404, 'Request Not Found', /"zadig\/nope"/);
    expectZadigError(
      await call('GET', '/openapi/workflows/custom/task?workflowKey=nope&taskId=1'),
      404,
      'Request Not Found',
      /nope/,
    );
    expectZadigError(
      await call('GET', '/openapi/workflows/custom/task?workflowKey=build-deploy&taskId=99'),
      404,
      'Request Not Found',
      /run 99/,
    );
    // None of these started anything.
    const history = await call('GET', `/openapi/workflows/custom/build-deploy/tasks?projectKey=${P}`);
    expect(history.body.total).toBe(3);
  });

  it('cancels a running task', async () => {
    await engine.defineWorkflow({
      name: 'long',
      project: P,
      stages: [{ name: 's', jobs: [{ name: 'sleepy', type: 'freestyle', spec: { script: 'sleep 60' } }] }],
    });
    const taskId = await runTask({ workflow_key: 'long' });
    await waitTask('long', taskId, (t) => jobOf(t, 'sleepy').status === 'running');
    const cancel = await call('DELETE', `/openapi/workflows/custom/task?workflowKey=long&taskId=${taskId}`);
    expect(cancel.status, cancel.text).toBe(200);
    expect(cancel.body).toEqual({ message: 'success' });
    const task = await waitTask('long', taskId, finished);
    expect([task.status, jobOf(task, 'sleepy').status]).toEqual(['cancelled', 'cancelled']);
    const again = await call('DELETE', `/openapi/workflows/custom/task?workflowKey=long&taskId=${taskId}`);
    expectZadigError(again, 409, 'Conflict', /already finished/);
  });

  it('approves a waiting approval: the listed approver may, the project admin may not', async () => {
    await engine.defineWorkflow({
      name: 'gated',
      project: P,
      stages: [
        {
          name: 'sign-off',
          jobs: [
            {
              name: 'approve',
              type: 'approval',
              spec: { native_approval: { approve_users: [{ user_name: 'approver' }], needed_approvers: 1 } },
            },
          ],
        },
        { name: 'after', jobs: [{ name: 'after', type: 'freestyle', spec: { script: 'true' } }] },
      ],
    });
    const taskId = await runTask({ workflow_key: 'gated' });
    const waiting = await waitTask('gated', taskId, (t) => jobOf(t, 'approve').status === 'wait_for_approval');
    expect(jobOf(waiting, 'approve').spec).toEqual({
      native_approval: { needed_approvers: 1, approve_users: [{ user_name: 'approver' }] },
    });
    const approve = (who: keyof typeof tokens, body: Record<string, unknown>) =>
      call('POST', '/openapi/workflows/custom/task/approve', { workflow_key: 'gated', task_id: taskId, ...body }, who);
    expectZadigError(
      await approve('scripter', { stage_name: 'sign-off', approve: true }),
      403,
      'Forbidden',
      /approver/,
    );
    // Someone without a role does not learn that the workflow exists.
    expectZadigError(await approve('stranger', { stage_name: 'sign-off', approve: true }), 404, 'Request Not Found');
    expectZadigError(
      await approve('approver', { stage_name: 'nope', approve: true }),
      400,
      'Bad Request',
      /stage_name: no approval job or stage/,
    );
    expectZadigError(
      await approve('approver', { job_name: 'approve', stage_name: 'after', approve: true }),
      400,
      'Bad Request',
      /stage_name: approval job "approve" is not in stage "after"/,
    );
    const ok = await approve('approver', { stage_name: 'sign-off', approve: true, comment: 'LGTM' });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body).toEqual({ message: 'success' });
    const task = await waitTask('gated', taskId, finished);
    expect(task.status).toBe('passed');
    expect(jobOf(task, 'approve').spec.native_approval.approve_users).toEqual([
      { user_name: 'approver', reject_or_approve: 'approve', comment: 'LGTM', operation_time: expect.any(Number) },
    ]);
  });

  it('retries a failed task under the same id', async () => {
    const flag = `/tmp/sc-openapi-retry-${engine.id}`;
    await engine.defineWorkflow({
      name: 'flaky',
      project: P,
      stages: [
        {
          name: 's',
          jobs: [
            {
              name: 'flaky',
              type: 'freestyle',
              spec: { script: `if [ -f ${flag} ]; then echo second; else touch ${flag}; exit 1; fi` },
            },
          ],
        },
      ],
    });
    const taskId = await runTask({ workflow_key: 'flaky' });
    expect((await waitTask('flaky', taskId, finished)).status).toBe('failed');
    const retry = await call('POST', `/openapi/workflows/custom/flaky/task/${taskId}`);
    expect(retry.status, retry.text).toBe(200);
    expect(retry.body).toEqual({ message: 'success' });
    const task = await waitTask('flaky', taskId, (t) => t.is_restart && finished(t));
    expect([task.task_id, task.status]).toEqual([taskId, 'passed']);
    const again = await call('POST', `/openapi/workflows/custom/flaky/task/${taskId}?projectKey=${P}`);
    expectZadigError(again, 409, 'Conflict', /only failed/);
  });

  it('shows a paused manual stage and resumes it for a listed user', async () => {
    await engine.defineWorkflow({
      name: 'staged',
      project: P,
      stages: [
        { name: 'staging', jobs: [{ name: 'staging', type: 'freestyle', spec: { script: 'true' } }] },
        {
          name: 'production',
          manual_exec: { enabled: true, manual_exec_users: [{ user_name: 'approver' }] },
          jobs: [{ name: 'prod', type: 'freestyle', spec: { script: 'true' } }],
        },
      ],
    });
    const taskId = await runTask({ workflow_key: 'staged' });
    const paused = await waitTask('staged', taskId, (t) => t.status === 'pause');
    expect(paused.stages[1]).toMatchObject({ name: 'production', status: 'pause' });
    expect(paused.stages[1].manual_exec).toMatchObject({ enabled: true });

    const url = `/openapi/workflows/custom/staged/task/${taskId}/manual-exec?projectKey=${P}`;
    const info = await call('GET', url, undefined, 'approver');
    expect(info.status, info.text).toBe(200);
    expect(info.body).toEqual({
      project_key: P,
      workflow_key: 'staged',
      task_id: taskId,
      status: 'pause',
      stage_name: 'production',
      can_execute: true,
      executors: [{ type: 'user', user_id: '', user_name: 'approver' }],
    });
    expect((await call('GET', url)).body.can_execute).toBe(false);
    expectZadigError(await call('POST', url, { stage_name: 'production' }), 403, 'Forbidden');
    expectZadigError(await call('POST', url, {}, 'approver'), 400, 'Bad Request', /stage_name/);
    const ok = await call('POST', url, { stage_name: 'production' }, 'approver');
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body).toEqual({ message: 'success' });
    expect((await waitTask('staged', taskId, finished)).status).toBe('passed');
    expectZadigError(await call('GET', url, undefined, 'approver'), 409, 'Conflict', /not waiting/);
  });

  it('asks for the project when a workflow key is in more than one', async () => {
    await engine.api('POST', '/api/v1/projects', { name: 'zadig-two' });
    await engine.defineWorkflow({
      name: 'long',
      project: 'zadig-two',
      stages: [{ name: 's', jobs: [{ name: 'j', type: 'freestyle', spec: { script: 'true' } }] }],
    });
    // The system admin sees both projects; `scripter` sees only one and is not asked.
    const admin = await engine.api('GET', '/openapi/workflows/custom/task?workflowKey=long&taskId=1');
    expectZadigError(admin, 400, 'Bad Request', /projectKey: required: "long" is in projects zadig, zadig-two/);
    const named = await engine.api('GET', `/openapi/workflows/custom/task?workflowKey=long&taskId=1&projectKey=${P}`);
    expect([named.status, named.body.project_key]).toEqual([200, P]);
    expect((await call('GET', '/openapi/workflows/custom/task?workflowKey=long&taskId=1')).status).toBe(200);
  });
});

describe('Zadig OpenAPI: views and deletion', () => {
  it('creates, lists, changes and deletes views', async () => {
    const created = await call('POST', '/openapi/workflows/view', {
      project_key: P,
      name: 'release',
      workflow_list: [{ workflow_key: 'build-deploy', workflow_name: 'Build and deploy', workflow_type: 'custom' }],
    });
    expect(created.status, created.text).toBe(200);
    expect(created.body).toEqual({ message: 'success' });
    const views = async () => (await call('GET', `/openapi/workflows/view?projectKey=${P}`)).body;
    const [view] = await views();
    expect(view).toMatchObject({
      name: 'release',
      project_key: P,
      update_by: 'scripter',
      workflows: [{ workflow_key: 'build-deploy', workflow_type: 'custom' }],
    });
    expect(recent(view.update_time)).toBe(true);
    const inView = await call('GET', `/openapi/workflows?projectKey=${P}&viewName=release`);
    expect(inView.body.workflows.map((w: any) => w.workflow_key)).toEqual(['build-deploy']);

    // A member may read views but not change them.
    expect((await call('GET', `/openapi/workflows/view?projectKey=${P}`, undefined, 'approver')).status).toBe(200);
    expectZadigError(
      await call('DELETE', `/openapi/workflows/view/release?projectKey=${P}`, undefined, 'approver'),
      403,
      'Forbidden',
    );

    const changed = await call('PUT', `/openapi/workflows/view/release?projectKey=${P}`, {
      workflow_list: [
        { workflow_key: 'gated', workflow_type: 'custom', enabled: true },
        { workflow_key: 'build-deploy', workflow_type: 'custom', enabled: false },
      ],
    });
    expect(changed.status, changed.text).toBe(200);
    expect((await views())[0].workflows).toEqual([{ workflow_key: 'gated', workflow_type: 'custom' }]);
    // Not listed, not touched.
    await call('PUT', `/openapi/workflows/view/release?projectKey=${P}`, {
      workflow_list: [{ workflow_key: 'long', workflow_type: 'custom', enabled: true }],
    });
    expect((await views())[0].workflows.map((w: any) => w.workflow_key)).toEqual(['gated', 'long']);

    expectZadigError(
      await call('POST', '/openapi/workflows/view', {
        project_key: P,
        name: 'products',
        workflow_list: [{ workflow_key: 'gated', workflow_type: 'product' }],
      }),
      400,
      'Bad Request',
      /workflow_list\[0\]\.workflow_type: product workflows do not exist/,
    );
    expectZadigError(
      await call('POST', '/openapi/workflows/view', {
        project_key: P,
        name: 'ghosts',
        workflow_list: [
          { workflow_key: 'gated', workflow_type: 'custom' },
          { workflow_key: 'ghost', workflow_type: 'custom' },
        ],
      }),
      400,
      'Bad Request',
      /workflow_list\[1\]\.workflow_key: no workflow "ghost"/,
    );
    expectZadigError(
      await call('PUT', `/openapi/workflows/view/nope?projectKey=${P}`, { workflow_list: [] }),
      404,
      'Request Not Found',
    );

    const deleted = await call('DELETE', `/openapi/workflows/view/release?projectKey=${P}`);
    expect([deleted.status, deleted.body]).toEqual([200, { message: 'success' }]);
    expect(await views()).toEqual([]);
  });

  it('deletes a workflow', async () => {
    const deleted = await call('DELETE', `/openapi/workflows/custom?workflowKey=build-deploy&projectKey=${P}`);
    expect([deleted.status, deleted.body]).toEqual([200, { message: 'success' }]);
    expectZadigError(
      await call('GET', `/openapi/workflows/custom/build-deploy/detail?projectKey=${P}`),
      404,
      'Request Not Found',
    );
    const again = await call('DELETE', `/openapi/workflows/custom?workflowKey=build-deploy&projectKey=${P}`);
    expectZadigError(again, 404, 'Request Not Found', /build-deploy/);
    // OpenAPI changes are audited like the REST API's.
    const audit = await engine.api('GET', '/api/v1/audit?limit=2');
    expect(audit.body.entries.map((e: { route: string; status: number }) => `${e.route} ${e.status}`)).toEqual([
      '/openapi/workflows/custom 404',
      '/openapi/workflows/custom 200',
    ]);
    expect(
      (await call('GET', `/openapi/workflows?projectKey=${P}`)).body.workflows.map((w: any) => w.workflow_key),
    ).toEqual(['flaky', 'gated', 'long', 'staged']);
  });
});
