import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine, job } from '@stagecoach/testkit';

let engine: Engine;
beforeAll(async () => {
  engine = await Engine.start();
  await engine.api('POST', '/api/v1/projects', { name: 'gates' });
});
afterAll(async () => {
  await engine?.stop();
});

const approvalWorkflow = (name: string, approval: Record<string, unknown>) => ({
  name,
  project: 'gates',
  stages: [
    { name: 'approve', jobs: [{ name: 'approve', type: 'approval', spec: approval }] },
    { name: 'after', jobs: [{ name: 'after', type: 'freestyle', spec: { script: 'echo approved' } }] },
  ],
});

const runUrl = (wf: string, n: number) => `/api/v1/projects/gates/workflows/${wf}/runs/${n}`;

describe('approval jobs', () => {
  it('needs N listed approvers, one vote each, refuses others, records votes with comments', async () => {
    await engine.defineWorkflow(
      approvalWorkflow('two-of-three', {
        native_approval: {
          approve_users: [
            { type: 'user', user_name: 'carol' },
            { type: 'user', user_name: 'dave' },
            { type: 'task_creator' },
          ],
          needed_approvers: 2,
        },
      }),
    );
    const n = await engine.startRun('gates', 'two-of-three', {}, 'erin');
    await engine.waitForRun('gates', 'two-of-three', n, (r) => job(r, 'approve').status === 'wait_for_approval');

    const vote = (body: object, user: string, options: { token?: null } = {}) =>
      engine.api('POST', `${runUrl('two-of-three', n)}/approvals`, body, { user, ...options });

    expect((await vote({ job: 'approve', approve: true }, 'mallory')).status).toBe(403);
    expect((await vote({ job: 'after', approve: true }, 'carol')).status).toBe(409);
    const noSuchJob = await vote({ job: 'nope', approve: true }, 'carol');
    expect(noSuchJob.status).toBe(404);
    expect(noSuchJob.body.message).toBe(`run ${n} has no job "nope"`);
    expect((await vote({ job: 'approve', approve: true }, 'carol', { token: null })).status).toBe(401);
    const badBody = await vote({ job: 'approve', approve: 'yes' }, 'carol');
    expect(badBody.status).toBe(400);
    expect(JSON.stringify(badBody.body.issues)).toContain('approve');

    expect((await vote({ job: 'approve', approve: true, comment: 'lgtm' }, 'carol')).status).toBe(200);
    expect((await vote({ job: 'approve', approve: true }, 'carol')).status).toBe(409);
    // The vote shows while the approval waits for the second one.
    const waiting = await engine.waitForRun(
      'gates',
      'two-of-three',
      n,
      (r) => job(r, 'approve').approval.votes.length > 0,
    );
    expect(job(waiting, 'approve').status).toBe('wait_for_approval');
    expect(job(waiting, 'approve').approval.votes).toEqual([
      expect.objectContaining({ user: 'carol', approve: true, comment: 'lgtm' }),
    ]);
    // The run creator is an approver through `task_creator`.
    expect((await vote({ job: 'approve', approve: true }, 'erin')).status).toBe(200);

    const run = await engine.waitForStatus('gates', 'two-of-three', n, ['passed', 'failed', 'reject']);
    expect(run.status).toBe('passed');
    const votes = job(run, 'approve').approval.votes;
    expect(votes.map((v: any) => [v.user, v.approve, v.comment ?? null])).toEqual([
      ['carol', true, 'lgtm'],
      ['erin', true, null],
    ]);
    expect(job(run, 'after').status).toBe('passed');
  });

  it('knows approvers by names in any script, sent in X-User as UTF-8', async () => {
    await engine.defineWorkflow(
      approvalWorkflow('named', { native_approval: { approve_users: [{ type: 'user', user_name: '张三' }] } }),
    );
    // What arrives on the wire: the name's UTF-8 bytes, which Node hands over one character per byte.
    const onTheWire = (name: string) => Buffer.from(name, 'utf8').toString('latin1');
    const n = await engine.startRun('gates', 'named', {}, onTheWire('李四'));
    await engine.waitForRun('gates', 'named', n, (r) => job(r, 'approve').status === 'wait_for_approval');
    const vote = (user: string) =>
      engine.api('POST', `${runUrl('named', n)}/approvals`, { job: 'approve', approve: true }, { user });
    const garbled = await vote('\u00e9');
    expect(garbled.status).toBe(400);
    expect(garbled.body.issues).toEqual([{ path: 'headers.x-user', message: 'must be UTF-8' }]);
    expect((await vote(onTheWire('张三'))).status).toBe(200);
    const run = await engine.waitForStatus('gates', 'named', n, ['passed', 'failed']);
    expect(run.status).toBe('passed');
    expect(run.creator).toBe('李四');
    expect(job(run, 'approve').approval.votes.map((v: { user: string }) => v.user)).toEqual(['张三']);
  });

  it('any single reject wins at once', async () => {
    await engine.defineWorkflow(
      approvalWorkflow('one-no', {
        native_approval: { approve_users: [{ user_name: 'carol' }, { user_name: 'dave' }], needed_approvers: 2 },
      }),
    );
    const n = await engine.startRun('gates', 'one-no');
    await engine.waitForRun('gates', 'one-no', n, (r) => job(r, 'approve').status === 'wait_for_approval');
    await engine.api(
      'POST',
      `${runUrl('one-no', n)}/approvals`,
      { job: 'approve', approve: false, comment: 'not today' },
      { user: 'dave' },
    );
    const run = await engine.waitForStatus('gates', 'one-no', n, ['reject', 'passed']);
    expect(run.status).toBe('reject');
    expect(job(run, 'approve').status).toBe('reject');
    expect(job(run, 'after').status).toBe('');
  });

  it('an approval nobody answers times out', async () => {
    await engine.defineWorkflow(
      approvalWorkflow('silent', { timeout: 0.05, native_approval: { approve_users: [{ user_name: 'carol' }] } }),
    );
    const n = await engine.startRun('gates', 'silent');
    const run = await engine.waitForStatus('gates', 'silent', n, ['timeout', 'passed'], 30_000);
    expect(run.status).toBe('timeout');
    expect(job(run, 'approve').status).toBe('timeout');
  });

  it("Zadig's legacy stage-level approval runs before the stage's jobs", async () => {
    await engine.defineWorkflow({
      name: 'legacy',
      project: 'gates',
      stages: [
        {
          name: 'prod',
          approval: {
            enabled: true,
            type: 'native',
            native_approval: { timeout: 5, approve_users: [{ user_name: 'carol' }], needed_approvers: 1 },
          },
          jobs: [{ name: 'ship', type: 'freestyle', spec: { script: 'echo shipped' } }],
        },
      ],
    });
    const n = await engine.startRun('gates', 'legacy');
    const waiting = await engine.waitForRun(
      'gates',
      'legacy',
      n,
      (r) => r.stages[0].jobs[0].status === 'wait_for_approval',
    );
    expect(waiting.stages[0].jobs.map((j: any) => [j.name, j.type])).toEqual([
      ['stage1-approval', 'approval'],
      ['ship', 'freestyle'],
    ]);
    expect(job(waiting, 'ship').status).toBe('');
    await engine.api(
      'POST',
      `${runUrl('legacy', n)}/approvals`,
      { job: 'stage1-approval', approve: true },
      { user: 'carol' },
    );
    expect((await engine.waitForStatus('gates', 'legacy', n, ['passed', 'failed'])).status).toBe('passed');
  });
});

describe('manual-exec stages', () => {
  it('pause the run until a listed user resumes it, optionally with edited job inputs', async () => {
    await engine.defineWorkflow({
      name: 'staged',
      project: 'gates',
      stages: [
        { name: 'staging', jobs: [{ name: 'staging', type: 'freestyle', spec: { script: 'echo staging' } }] },
        {
          name: 'production',
          manual_exec: { enabled: true, modify_params: true, manual_exec_users: [{ user_name: 'ops' }] },
          jobs: [{ name: 'prod', type: 'freestyle', spec: { script: 'echo original' } }],
        },
      ],
    });
    const n = await engine.startRun('gates', 'staged');
    const paused = await engine.waitForStatus('gates', 'staged', n, 'pause');
    expect(paused.stages.map((s: any) => s.status)).toEqual(['passed', 'pause']);

    const notListed = await engine.api(
      'POST',
      `${runUrl('staged', n)}/resume`,
      { stage: 'production' },
      { user: 'alice' },
    );
    expect(notListed.status).toBe(403);
    const wrongStage = await engine.api('POST', `${runUrl('staged', n)}/resume`, { stage: 'staging' }, { user: 'ops' });
    expect(wrongStage.status).toBe(409);
    const noSuchStage = await engine.api('POST', `${runUrl('staged', n)}/resume`, { stage: 'qa' }, { user: 'ops' });
    expect(noSuchStage.status).toBe(404);
    expect(noSuchStage.body.message).toBe(`run ${n} has no stage "qa"`);
    const unknownJob = await engine.api(
      'POST',
      `${runUrl('staged', n)}/resume`,
      { stage: 'production', inputs: { nope: { script: 'x' } } },
      { user: 'ops' },
    );
    expect(unknownJob.status).toBe(400);
    expect(unknownJob.body.issues).toEqual([{ path: 'inputs.nope', message: 'stage "production" has no job "nope"' }]);
    // An edit the job could not run with is refused as a save would refuse it, and the stage stays paused.
    const badEdit = await engine.api(
      'POST',
      `${runUrl('staged', n)}/resume`,
      { stage: 'production', inputs: { prod: { script: 123, advanced_setting: { timeout: 'abc' } } } },
      { user: 'ops' },
    );
    expect(badEdit.status).toBe(400);
    expect(badEdit.body.issues.map((i: { path: string }) => i.path)).toEqual([
      'inputs.prod.script',
      'inputs.prod.advanced_setting.timeout',
    ]);
    expect((await engine.api('GET', runUrl('staged', n))).body.status).toBe('pause');

    const ok = await engine.api(
      'POST',
      `${runUrl('staged', n)}/resume`,
      { stage: 'production', inputs: { prod: { script: 'echo edited by ops' } } },
      { user: 'ops' },
    );
    expect(ok.status).toBe(200);
    const run = await engine.waitForStatus('gates', 'staged', n, ['passed', 'failed']);
    expect(run.status).toBe('passed');
    const log = await engine.api('GET', `${runUrl('staged', n)}/jobs/prod/logs`);
    expect(log.text).toContain('edited by ops');
    expect(log.text).not.toContain('original');
  });
});

describe('manual_check error policy', () => {
  it('waits for a listed user: ignore makes the job unstable and the run continues', async () => {
    await engine.defineWorkflow({
      name: 'checked',
      project: 'gates',
      stages: [
        {
          name: 's',
          jobs: [
            {
              name: 'broken',
              type: 'freestyle',
              spec: { script: 'exit 2' },
              error_policy: { policy: 'manual_check', approval_users: [{ user_name: 'lead' }] },
            },
            { name: 'next', type: 'freestyle', spec: { script: 'true' } },
          ],
        },
      ],
    });
    const n = await engine.startRun('gates', 'checked');
    await engine.waitForRun('gates', 'checked', n, (r) => job(r, 'broken').status === 'wait_for_manual_error_handling');
    expect(
      (
        await engine.api(
          'POST',
          `${runUrl('checked', n)}/decisions`,
          { job: 'broken', decision: 'ignore' },
          { user: 'alice' },
        )
      ).status,
    ).toBe(403);
    expect(
      (
        await engine.api(
          'POST',
          `${runUrl('checked', n)}/decisions`,
          { job: 'broken', decision: 'maybe' },
          { user: 'lead' },
        )
      ).status,
    ).toBe(400);
    const noSuchJob = await engine.api(
      'POST',
      `${runUrl('checked', n)}/decisions`,
      { job: 'nope', decision: 'ignore' },
      { user: 'lead' },
    );
    expect(noSuchJob.status).toBe(404);
    expect(
      (
        await engine.api(
          'POST',
          `${runUrl('checked', n)}/decisions`,
          { job: 'broken', decision: 'ignore' },
          { user: 'lead' },
        )
      ).status,
    ).toBe(200);
    const run = await engine.waitForStatus('gates', 'checked', n, ['passed', 'failed']);
    expect(run.status).toBe('passed');
    expect(job(run, 'broken').status).toBe('unstable');
    expect(job(run, 'next').status).toBe('passed');
  });

  it('reject keeps the failure', async () => {
    const n = await engine.startRun('gates', 'checked');
    await engine.waitForRun('gates', 'checked', n, (r) => job(r, 'broken').status === 'wait_for_manual_error_handling');
    await engine.api(
      'POST',
      `${runUrl('checked', n)}/decisions`,
      { job: 'broken', decision: 'reject' },
      { user: 'lead' },
    );
    const run = await engine.waitForStatus('gates', 'checked', n, ['passed', 'failed']);
    expect(run.status).toBe('failed');
    expect(job(run, 'next').status).toBe('');
  });
});

describe('concurrent answers to one question', () => {
  it('accept one decision, one deciding vote and one resume; the others are refused', async () => {
    await engine.defineWorkflow({
      name: 'contested',
      project: 'gates',
      stages: [
        {
          name: 'build',
          jobs: [
            {
              name: 'flaky',
              type: 'freestyle',
              spec: { script: 'exit 1' },
              error_policy: { policy: 'manual_check', approval_users: [{ user_name: 'ops' }] },
            },
          ],
        },
        {
          name: 'approve',
          jobs: [
            {
              name: 'gate',
              type: 'approval',
              spec: {
                native_approval: {
                  approve_users: ['carol', 'dave', 'erin', 'fred'].map((user_name) => ({ user_name })),
                  needed_approvers: 1,
                },
              },
            },
          ],
        },
        {
          name: 'ship',
          manual_exec: { enabled: true, manual_exec_users: [{ user_name: 'ops' }] },
          jobs: [{ name: 'ship', type: 'freestyle', spec: { script: 'true' } }],
        },
      ],
    });
    const n = await engine.startRun('gates', 'contested');
    /** The statuses of `count` requests sent at once, sorted. */
    const atOnce = async (count: number, send: (i: number) => Promise<{ status: number }>) =>
      (await Promise.all(Array.from({ length: count }, (_, i) => send(i)))).map((r) => r.status).sort();

    await engine.waitForRun(
      'gates',
      'contested',
      n,
      (r) => job(r, 'flaky').status === 'wait_for_manual_error_handling',
    );
    const decisions = await atOnce(5, () =>
      engine.api('POST', `${runUrl('contested', n)}/decisions`, { job: 'flaky', decision: 'ignore' }, { user: 'ops' }),
    );
    expect(decisions).toEqual([200, 409, 409, 409, 409]);

    await engine.waitForRun('gates', 'contested', n, (r) => job(r, 'gate').status === 'wait_for_approval');
    const voters = ['carol', 'dave', 'erin', 'fred'];
    const votes = await atOnce(4, (i) =>
      engine.api('POST', `${runUrl('contested', n)}/approvals`, { job: 'gate', approve: true }, { user: voters[i] }),
    );
    expect(votes).toEqual([200, 409, 409, 409]);

    await engine.waitForStatus('gates', 'contested', n, 'pause');
    const resumes = await atOnce(5, () =>
      engine.api('POST', `${runUrl('contested', n)}/resume`, { stage: 'ship' }, { user: 'ops' }),
    );
    expect(resumes).toEqual([200, 409, 409, 409, 409]);

    const run = await engine.waitForStatus('gates', 'contested', n, ['passed', 'failed']);
    expect(run.status).toBe('passed');
    expect(job(run, 'flaky').status).toBe('unstable');
    expect(job(run, 'gate').approval.votes).toHaveLength(1);
  });
});
