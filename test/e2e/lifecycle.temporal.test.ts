import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SA_STATUS } from '@stagecoach/contracts';
import { ADMIN_TOKEN, Engine, job } from '@stagecoach/testkit';

let engine: Engine;
beforeAll(async () => {
  engine = await Engine.start();
  await engine.api('POST', '/api/v1/projects', { name: 'life' });
});
afterAll(async () => {
  await engine?.stop();
});

const runUrl = (wf: string, n: number) => `/api/v1/projects/life/workflows/${wf}/runs/${n}`;

/**
 * A job log followed over SSE to its `end` event: the lines it carried. Fails (by the timeout) if the
 * stream does not end.
 */
async function followLog(path: string): Promise<string> {
  const address = engine.app.server.listening
    ? `http://127.0.0.1:${(engine.app.server.address() as { port: number }).port}`
    : await engine.app.listen({ host: '127.0.0.1', port: 0 });
  const res = await fetch(`${address}${path}?follow=1`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  expect(text.trimEnd().endsWith('event: end\ndata:')).toBe(true);
  return text
    .split('\n')
    .filter((line) => line.startsWith('data: '))
    .map((line) => line.slice('data: '.length))
    .join('\n');
}
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
async function eventually(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('cancel', () => {
  it('kills the running job and its children, runs cleanup, and the status stays cancelled', async () => {
    const pidFile = join(tmpdir(), `sc-cancel-${engine.id}.pid`);
    await engine.defineWorkflow({
      name: 'long',
      project: 'life',
      stages: [
        { name: 'one', jobs: [{ name: 'quick', type: 'freestyle', spec: { script: 'echo quick' } }] },
        {
          name: 'two',
          jobs: [{ name: 'sleepy', type: 'freestyle', spec: { script: `sleep 300 & echo $! > ${pidFile}; wait` } }],
        },
        { name: 'three', jobs: [{ name: 'never', type: 'freestyle', spec: { script: 'true' } }] },
      ],
    });
    const n = await engine.startRun('life', 'long');
    await engine.waitForRun('life', 'long', n, (r) => job(r, 'sleepy').status === 'running');
    await eventually(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '');
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    expect(alive(grandchild)).toBe(true);

    expect((await engine.api('POST', `${runUrl('long', n)}/cancel`)).status).toBe(202);
    const run = await engine.waitForStatus('life', 'long', n, 'cancelled');
    expect(job(run, 'quick').status).toBe('passed');
    expect(job(run, 'sleepy').status).toBe('cancelled');
    expect(job(run, 'never').status).toBe('');
    await eventually(() => !alive(grandchild));
    // Every job's cleanup ran (the order is unit-tested in run-state.test.ts): the workspaces are gone.
    expect(readdirSync(engine.workspaceRoot).flatMap((d) => readdirSync(join(engine.workspaceRoot, d)))).toEqual([]);

    // Sticky: a second cancel is refused, the status does not move.
    expect((await engine.api('POST', `${runUrl('long', n)}/cancel`)).status).toBe(409);
    await new Promise((r) => setTimeout(r, 500));
    expect((await engine.getRun('life', 'long', n)).status).toBe('cancelled');
  });

  it('cancels a run waiting for approval and a run paused before a manual stage', async () => {
    await engine.defineWorkflow({
      name: 'waiting',
      project: 'life',
      stages: [
        {
          name: 'gate',
          jobs: [
            { name: 'gate', type: 'approval', spec: { native_approval: { approve_users: [{ user_name: 'x' }] } } },
          ],
        },
        {
          name: 'later',
          manual_exec: { enabled: true, manual_exec_users: [{ user_name: 'x' }] },
          jobs: [{ name: 'later', type: 'freestyle', spec: { script: 'true' } }],
        },
      ],
    });
    const n = await engine.startRun('life', 'waiting');
    await engine.waitForRun('life', 'waiting', n, (r) => job(r, 'gate').status === 'wait_for_approval');
    await engine.api('POST', `${runUrl('waiting', n)}/cancel`);
    const run = await engine.waitForStatus('life', 'waiting', n, 'cancelled');
    expect(job(run, 'gate').status).toBe('cancelled');
    // A vote after the cancel is refused: the run is over.
    expect(
      (await engine.api('POST', `${runUrl('waiting', n)}/approvals`, { job: 'gate', approve: true }, { user: 'x' }))
        .status,
    ).toBe(409);

    const m = await engine.startRun('life', 'waiting');
    await engine.waitForRun('life', 'waiting', m, (r) => job(r, 'gate').status === 'wait_for_approval');
    await engine.api('POST', `${runUrl('waiting', m)}/approvals`, { job: 'gate', approve: true }, { user: 'x' });
    await engine.waitForStatus('life', 'waiting', m, 'pause');
    await engine.api('POST', `${runUrl('waiting', m)}/cancel`);
    const paused = await engine.waitForStatus('life', 'waiting', m, 'cancelled');
    expect(paused.stages.map((s: any) => s.status)).toEqual(['passed', 'cancelled']);
    // An approval writes no log, nor does a job that never ran: following either ends at once.
    for (const jobName of ['gate', 'later'])
      expect(await followLog(`${runUrl('waiting', m)}/jobs/${jobName}/logs`)).toBe('');
  });
});

describe('retry of a run', () => {
  it('ends a log follower when the run ends without running the job', async () => {
    await engine.defineWorkflow({
      name: 'cut-short',
      project: 'life',
      stages: [
        { name: 'first', jobs: [{ name: 'fails', type: 'freestyle', spec: { script: 'sleep 2; exit 1' } }] },
        { name: 'second', jobs: [{ name: 'never', type: 'freestyle', spec: { script: 'echo never' } }] },
      ],
    });
    const n = await engine.startRun('life', 'cut-short');
    await engine.waitForRun('life', 'cut-short', n, (r) => job(r, 'fails').status === 'running');
    expect(await followLog(`${runUrl('cut-short', n)}/jobs/never/logs`)).toBe('');
    expect(job(await engine.waitForStatus('life', 'cut-short', n, 'failed'), 'never').status).toBe('');
  });

  it('resumes under the same run number, reruns only what did not pass, keeps upstream outputs', async () => {
    const flag = join(tmpdir(), `sc-retry-flag-${engine.id}`);
    await engine.defineWorkflow({
      name: 'resume',
      project: 'life',
      stages: [
        {
          name: 'build',
          jobs: [
            {
              name: 'build',
              type: 'freestyle',
              spec: {
                script: 'echo building; VERSION="v-$RANDOM"',
                advanced_setting: { outputs: [{ name: 'VERSION' }] },
              },
            },
          ],
        },
        {
          name: 'deploy',
          parallel: true,
          jobs: [
            { name: 'steady', type: 'freestyle', spec: { script: 'echo steady' } },
            {
              name: 'picky',
              type: 'freestyle',
              spec: { script: `echo "deploying {{.job.build.output.VERSION}}"; test -f ${flag}` },
            },
          ],
        },
      ],
    });
    const n = await engine.startRun('life', 'resume');
    const failed = await engine.waitForStatus('life', 'resume', n, ['failed', 'passed']);
    expect(failed.status).toBe('failed');
    const version = job(failed, 'build').outputs.VERSION;
    expect(version).toMatch(/^v-\d+$/);

    expect((await engine.api('POST', `${runUrl('resume', n)}/retry`)).status).toBe(202);
    const again = await engine.waitForRun(
      'life',
      'resume',
      n,
      (r) => r.retry_num === 1 && ['failed', 'passed'].includes(r.status),
    );
    expect(again.status).toBe('failed');

    const { writeFileSync } = await import('node:fs');
    writeFileSync(flag, '');
    expect((await engine.api('POST', `${runUrl('resume', n)}/retry`)).status).toBe(202);
    const passed = await engine.waitForRun('life', 'resume', n, (r) => r.retry_num === 2 && r.status === 'passed');
    expect(job(passed, 'build').outputs.VERSION).toBe(version);
    const buildLog = await engine.api('GET', `${runUrl('resume', n)}/jobs/build/logs`);
    expect(buildLog.text.match(/building/g)).toHaveLength(1);
    const steadyLog = await engine.api('GET', `${runUrl('resume', n)}/jobs/steady/logs`);
    expect(steadyLog.text.match(/steady/g)).toHaveLength(1);
    const pickyLog = await engine.api('GET', `${runUrl('resume', n)}/jobs/picky/logs`);
    expect(pickyLog.text.match(new RegExp(`deploying ${version}`, 'g'))).toHaveLength(3);
    // A job kept from the first attempt has that attempt's end, and no later one: its follower ends too.
    expect(await followLog(`${runUrl('resume', n)}/jobs/build/logs`)).toContain('building');

    // A passed run cannot be retried; nor can a running one.
    expect((await engine.api('POST', `${runUrl('resume', n)}/retry`)).status).toBe(409);
    const list = await engine.api('GET', '/api/v1/projects/life/workflows/resume/runs');
    expect(list.body.total).toBe(1);
  });
});

describe('concurrency_limit', () => {
  it('1 queues the second run until the first ends, FIFO', async () => {
    await engine.defineWorkflow({
      name: 'serial',
      project: 'life',
      concurrency_limit: 1,
      stages: [{ name: 's', jobs: [{ name: 'work', type: 'freestyle', spec: { script: 'sleep 1.5' } }] }],
    });
    const a = await engine.startRun('life', 'serial');
    await engine.waitForStatus('life', 'serial', a, 'running');
    const b = await engine.startRun('life', 'serial');
    const c = await engine.startRun('life', 'serial');
    await engine.waitForStatus('life', 'serial', b, 'queued');
    await engine.waitForStatus('life', 'serial', c, 'queued');
    // In the Temporal Web UI too, a gated run says queued while it waits for its slot.
    const searchStatus = async (n: number) =>
      (await engine.temporal.workflow.getHandle(`life/serial/${n}`).describe()).typedSearchAttributes.get(SA_STATUS);
    expect(await searchStatus(c)).toBe('queued');
    const runs = await Promise.all([a, b, c].map((n) => engine.waitForStatus('life', 'serial', n, 'passed')));
    const [ra, rb, rc] = runs.map((r) => ({
      start: new Date(job(r, 'work').start_time).getTime(),
      end: new Date(job(r, 'work').end_time).getTime(),
    }));
    expect(rb!.start).toBeGreaterThanOrEqual(ra!.end);
    expect(rc!.start).toBeGreaterThanOrEqual(rb!.end);
  });

  it('a queued run can be cancelled and gives its place to the next', async () => {
    const a = await engine.startRun('life', 'serial');
    await engine.waitForStatus('life', 'serial', a, 'running');
    const b = await engine.startRun('life', 'serial');
    const c = await engine.startRun('life', 'serial');
    await engine.waitForStatus('life', 'serial', b, 'queued');
    await engine.api('POST', `${runUrl('serial', b)}/cancel`);
    const cancelled = await engine.waitForStatus('life', 'serial', b, 'cancelled');
    expect(job(cancelled, 'work').status).toBe('');
    const ran = await engine.waitForStatus('life', 'serial', c, 'passed');
    const first = await engine.waitForStatus('life', 'serial', a, 'passed');
    expect(new Date(job(ran, 'work').start_time).getTime()).toBeGreaterThanOrEqual(
      new Date(job(first, 'work').end_time).getTime(),
    );
  });

  it('a run paused at a manual stage gives its permit to the next run and queues again when resumed', async () => {
    await engine.defineWorkflow({
      name: 'staged-serial',
      project: 'life',
      concurrency_limit: 1,
      stages: [
        { name: 'build', jobs: [{ name: 'build', type: 'freestyle', spec: { script: 'echo build' } }] },
        {
          name: 'prod',
          manual_exec: { enabled: true, manual_exec_users: [{ type: 'task_creator' }] },
          jobs: [{ name: 'prod', type: 'freestyle', spec: { script: 'sleep 1.5' } }],
        },
      ],
    });
    const resume = (n: number) => engine.api('POST', `${runUrl('staged-serial', n)}/resume`, { stage: 'prod' });
    const a = await engine.startRun('life', 'staged-serial');
    await engine.waitForStatus('life', 'staged-serial', a, 'pause');
    // The paused run holds no permit, so the next one gets through its first stage.
    const b = await engine.startRun('life', 'staged-serial');
    await engine.waitForStatus('life', 'staged-serial', b, 'pause');

    expect((await resume(b)).status).toBe(200);
    await engine.waitForStatus('life', 'staged-serial', b, 'running');
    // b holds the permit now: a, resumed, waits in the queue until b ends.
    expect((await resume(a)).status).toBe(200);
    await engine.waitForStatus('life', 'staged-serial', a, 'queued');
    const [ra, rb] = await Promise.all([a, b].map((n) => engine.waitForStatus('life', 'staged-serial', n, 'passed')));
    expect(new Date(job(ra, 'prod').start_time).getTime()).toBeGreaterThanOrEqual(
      new Date(job(rb, 'prod').end_time).getTime(),
    );
  });
});

describe('job timeout', () => {
  it('kills the job when its timeout passes; the job and the run end `timeout`', async () => {
    await engine.defineWorkflow({
      name: 'slowpoke',
      project: 'life',
      // 0.05 minutes = 3 s: Zadig counts job timeouts in minutes.
      stages: [
        {
          name: 's',
          jobs: [
            {
              name: 'slow',
              type: 'freestyle',
              spec: { script: 'echo started; sleep 60', advanced_setting: { timeout: 0.05 } },
            },
          ],
        },
      ],
    });
    const n = await engine.startRun('life', 'slowpoke');
    const run = await engine.waitForStatus('life', 'slowpoke', n, ['timeout', 'passed', 'failed'], 30_000);
    expect(run.status).toBe('timeout');
    expect(job(run, 'slow').status).toBe('timeout');
    const took = new Date(job(run, 'slow').end_time).getTime() - new Date(job(run, 'slow').start_time).getTime();
    expect(took).toBeLessThan(20_000);
  });
});

describe('listing runs', () => {
  it('filters by status and creator and pages, newest first', async () => {
    await engine.defineWorkflow({
      name: 'listed',
      project: 'life',
      stages: [{ name: 's', jobs: [{ name: 'j', type: 'freestyle', spec: { script: 'test "$who" != bad' } }] }],
      params: [{ name: 'who', type: 'string', value: '' }],
    });
    const ok1 = await engine.startRun('life', 'listed', { params: { who: 'good' } }, 'ann');
    const bad = await engine.startRun('life', 'listed', { params: { who: 'bad' } }, 'bob');
    const ok2 = await engine.startRun('life', 'listed', { params: { who: 'good' } }, 'ann');
    for (const n of [ok1, bad, ok2]) await engine.waitForStatus('life', 'listed', n, ['passed', 'failed']);
    const url = '/api/v1/projects/life/workflows/listed/runs';
    const failed = await engine.api('GET', `${url}?status=failed`);
    expect(failed.body.runs.map((r: any) => r.run_number)).toEqual([bad]);
    const ended = await engine.api('GET', `${url}?status=failed,passed`);
    expect(ended.body.runs.map((r: any) => r.run_number)).toEqual([ok2, bad, ok1]);
    // A misspelt status is named, not answered with an empty list.
    const typo = await engine.api('GET', `${url}?status=failed,pased`);
    expect(typo.status).toBe(400);
    expect(typo.body.message).toBe('unknown run status "pased"');
    expect(typo.body.issues[0]).toMatchObject({
      path: 'querystring.status',
      message: expect.stringContaining('passed'),
    });
    const anns = await engine.api('GET', `${url}?creator=ann`);
    expect(anns.body.runs.map((r: any) => r.run_number)).toEqual([ok2, ok1]);
    // An empty filter filters nothing, for the creator as for the status.
    expect((await engine.api('GET', `${url}?creator=&status=`)).body.total).toBe(3);
    const page2 = await engine.api('GET', `${url}?page=2&page_size=2`);
    expect(page2.body).toMatchObject({ total: 3 });
    expect(page2.body.runs.map((r: any) => r.run_number)).toEqual([ok1]);
    expect((await engine.api('GET', `${url}?page_size=500`)).status).toBe(400);
  });
});

describe('bad input', () => {
  it('names what is wrong and leaves nothing behind', async () => {
    await engine.defineWorkflow({
      name: 'strict',
      project: 'life',
      remark_required: true,
      params: [
        { name: 'env', type: 'choice', choice_option: ['dev', 'prod'], value: 'dev' },
        { name: 'must', type: 'string', required: true },
      ],
      stages: [{ name: 's', jobs: [{ name: 'j', type: 'freestyle', spec: { script: 'true' } }] }],
    });
    const url = '/api/v1/projects/life/workflows/strict/runs';
    const noRemark = await engine.api('POST', url, { params: { must: 'x' } });
    expect(noRemark.status).toBe(400);
    expect(noRemark.body.issues[0].path).toBe('remark');
    const badParams = await engine.api('POST', url, { remark: 'r', params: { env: 'qa', extra: '1' } });
    expect(badParams.status).toBe(400);
    expect(badParams.body.issues.map((i: any) => i.path).sort()).toEqual(['params.env', 'params.extra', 'params.must']);
    const unknownField = await engine.api('POST', url, { remark: 'r', params: { must: 'x' }, colour: 'red' });
    expect(unknownField.status).toBe(400);
    const missing = await engine.api('POST', '/api/v1/projects/life/workflows/nope/runs', {});
    expect(missing.status).toBe(404);
    const list = await engine.api('GET', url);
    expect(list.body.total).toBe(0);
    const ok = await engine.api('POST', url, { remark: 'r', params: { must: 'x' } });
    expect(ok.status).toBe(201);
    expect(ok.body.run_number).toBe(1);
  });

  it('refuses unknown and disabled workflows without taking a number, and removes a run Temporal refused', async () => {
    const stages = [{ name: 's', jobs: [{ name: 'j', type: 'freestyle', spec: { script: 'true' } }] }];
    const url = '/api/v1/projects/life/workflows/gated/runs';
    const noProject = await engine.api('POST', '/api/v1/projects/ghost/workflows/gated/runs', {});
    expect(noProject).toMatchObject({ status: 404, body: { message: 'project "ghost" not found' } });
    const noWorkflow = await engine.api('POST', url, {});
    expect(noWorkflow).toMatchObject({ status: 404, body: { message: 'workflow "life/gated" not found' } });

    await engine.defineWorkflow({ name: 'gated', project: 'life', disabled: true, stages });
    const disabled = await engine.api('POST', url, {});
    expect(disabled).toMatchObject({ status: 409, body: { message: 'workflow "gated" is disabled' } });
    await engine.defineWorkflow({ name: 'gated', project: 'life', stages });
    expect((await engine.api('POST', url, {})).body.run_number).toBe(1);

    // An execution already holds run 2's id: Temporal refuses the start after the commit, and the row goes again.
    const squatter = await engine.temporal.workflow.start('squatter', {
      workflowId: 'life/gated/2',
      taskQueue: `nobody-${engine.id}`,
    });
    try {
      const refused = await engine.api('POST', url, {});
      expect(refused.status).toBe(409);
      expect((await engine.api('GET', `${url}/2`)).status).toBe(404);
      expect((await engine.api('GET', url)).body.total).toBe(1);
    } finally {
      await squatter.terminate();
    }
    // The number was taken by the committed start, so the next run is 3.
    expect((await engine.api('POST', url, {})).body.run_number).toBe(3);
  });
});
