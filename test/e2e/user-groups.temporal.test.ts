import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWorkflowId } from '@stagecoach/contracts';
import { getRun } from '@stagecoach/db';
import { Engine, job } from '@stagecoach/testkit';

/** User groups: managed by system admins, expanded to their members when a run is built. */
const P = 'groups';
const PASSWORD = 'a long enough password';
let engine: Engine;

beforeAll(async () => {
  engine = await Engine.start();
  await engine.api('POST', '/api/v1/projects', { name: P });
  for (const username of ['carol', 'dave', 'erin', 'mallory']) {
    const made = await engine.api('POST', '/api/v1/users', {
      username,
      password: PASSWORD,
      email: `${username}@x.test`,
    });
    expect(made.status).toBe(201);
  }
});
afterAll(async () => {
  await engine?.stop();
});

const groupUrl = (name: string) => `/api/v1/user-groups/${name}`;
const runUrl = (wf: string, n: number) => `/api/v1/projects/${P}/workflows/${wf}/runs/${n}`;

async function makeGroup(name: string, users: string[]): Promise<{ id: string }> {
  const made = await engine.api('POST', '/api/v1/user-groups', { name });
  expect(made.status).toBe(201);
  expect((await engine.api('PUT', `${groupUrl(name)}/members`, { users })).status).toBe(200);
  return made.body;
}

const twoStages = (name: string, first: Record<string, unknown>) => ({
  name,
  project: P,
  stages: [first, { name: 'after', jobs: [{ name: 'after', type: 'freestyle', spec: { script: 'echo after' } }] }],
});

describe('the user-groups API', () => {
  it('creates, lists, replaces members, refuses bad input and deletes', async () => {
    const made = await engine.api('POST', '/api/v1/user-groups', { name: 'release', description: 'ships' });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ name: 'release', description: 'ships', members: [] });
    expect(made.body.id).toMatch(/^[0-9a-f-]{36}$/);

    expect((await engine.api('POST', '/api/v1/user-groups', { name: 'release' })).status).toBe(409);
    const badName = await engine.api('POST', '/api/v1/user-groups', { name: 'no spaces', extra: 1 });
    expect(badName.status).toBe(400);
    expect(badName.body.issues.map((i: { path: string }) => i.path)).toEqual(
      expect.arrayContaining(['body.name', 'body.extra']),
    );
    const badMembers = await engine.api('PUT', `${groupUrl('release')}/members`, { users: ['carol', ''] });
    expect(badMembers.status).toBe(400);
    expect(badMembers.body.issues[0].path).toBe('body.users.1');

    const set = await engine.api('PUT', `${groupUrl('release')}/members`, { users: ['dave', 'carol'] });
    expect(set.status).toBe(200);
    expect(set.body.members).toEqual(['carol', 'dave']);
    // One unknown user refuses the whole list, naming it; the group keeps its members.
    const unknown = await engine.api('PUT', `${groupUrl('release')}/members`, { users: ['erin', 'nobody'] });
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toContain('"nobody"');
    expect(unknown.body.issues).toEqual([{ path: 'users[1]', message: 'no user "nobody"' }]);
    expect((await engine.api('GET', groupUrl('release'))).body.members).toEqual(['carol', 'dave']);
    expect((await engine.api('PUT', `${groupUrl('missing')}/members`, { users: [] })).status).toBe(404);

    const list = await engine.api('GET', '/api/v1/user-groups');
    expect(list.status).toBe(200);
    expect(list.body.user_groups).toContainEqual({ ...made.body, members: ['carol', 'dave'] });

    expect((await engine.api('DELETE', groupUrl('release'))).status).toBe(204);
    expect((await engine.api('GET', groupUrl('release'))).status).toBe(404);
    expect((await engine.api('DELETE', groupUrl('release'))).status).toBe(404);
  });
});

describe('groups in runs', () => {
  it("lets the group's members approve and refuses others, with members frozen when the run starts", async () => {
    const approvers = await makeGroup('approvers', ['carol', 'dave']);
    await engine.defineWorkflow({
      ...twoStages('approve-by-group', {
        name: 'approve',
        jobs: [
          {
            name: 'approve',
            type: 'approval',
            spec: {
              native_approval: { approve_users: [{ type: 'group', group_id: approvers.id }], needed_approvers: 2 },
            },
          },
        ],
      }),
      notify_ctls: [
        {
          webhook_type: 'mail',
          notify_type: ['passed'],
          mail_notification_config: { target_users: [{ type: 'group', group_name: 'approvers' }] },
        },
      ],
    });
    const n = await engine.startRun(P, 'approve-by-group');
    const waiting = await engine.waitForRun(
      P,
      'approve-by-group',
      n,
      (r) => job(r, 'approve').status === 'wait_for_approval',
    );
    expect(job(waiting, 'approve').approval.approvers).toEqual(['carol', 'dave']);
    // The mail recipients were expanded too, in what the run froze for the notifier.
    const row = await getRun(engine.dbHandle.db, runWorkflowId(P, 'approve-by-group', n));
    expect(row?.notifyCtls?.workflow[0]?.['mail_notification_config']).toMatchObject({
      target_users: [
        { type: 'user', user_name: 'carol' },
        { type: 'user', user_name: 'dave' },
      ],
    });

    // Joining the group after the start does not make someone an approver of this run.
    expect(
      (await engine.api('PUT', `${groupUrl('approvers')}/members`, { users: ['carol', 'dave', 'mallory'] })).status,
    ).toBe(200);
    const vote = (user: string) =>
      engine.api('POST', `${runUrl('approve-by-group', n)}/approvals`, { job: 'approve', approve: true }, { user });
    expect((await vote('mallory')).status).toBe(403);
    expect((await vote('erin')).status).toBe(403);
    expect((await vote('carol')).status).toBe(200);
    expect((await vote('dave')).status).toBe(200);
    const run = await engine.waitForStatus(P, 'approve-by-group', n, ['passed', 'failed', 'reject']);
    expect(run.status).toBe('passed');
    expect(job(run, 'approve').approval.votes.map((v: { user: string }) => v.user)).toEqual(['carol', 'dave']);
  });

  it('lets a group member execute a manual-exec stage', async () => {
    await makeGroup('operators', ['erin']);
    await engine.defineWorkflow({
      name: 'staged-by-group',
      project: P,
      stages: [
        { name: 'staging', jobs: [{ name: 'staging', type: 'freestyle', spec: { script: 'echo staging' } }] },
        {
          name: 'production',
          manual_exec: { enabled: true, manual_exec_users: [{ type: 'group', group_name: 'operators' }] },
          jobs: [{ name: 'prod', type: 'freestyle', spec: { script: 'echo prod' } }],
        },
      ],
    });
    const n = await engine.startRun(P, 'staged-by-group');
    await engine.waitForStatus(P, 'staged-by-group', n, 'pause');
    const resume = (user: string) =>
      engine.api('POST', `${runUrl('staged-by-group', n)}/resume`, { stage: 'production' }, { user });
    expect((await resume('mallory')).status).toBe(403);
    expect((await resume('erin')).status).toBe(200);
    expect((await engine.waitForStatus(P, 'staged-by-group', n, ['passed', 'failed'])).status).toBe('passed');
  });

  it('refuses a run naming a group that does not exist, and writes nothing', async () => {
    await engine.defineWorkflow(
      twoStages('ghost-group', {
        name: 'approve',
        jobs: [
          {
            name: 'approve',
            type: 'approval',
            spec: { native_approval: { approve_users: [{ type: 'group', group_name: 'ghosts' }] } },
          },
        ],
      }),
    );
    const refused = await engine.api('POST', `/api/v1/projects/${P}/workflows/ghost-group/runs`, {});
    expect(refused.status).toBe(400);
    expect(refused.body.message).toBe('unknown user group: "ghosts" (job "approve")');
    expect(refused.body.issues).toEqual([
      {
        path: 'stages[0].jobs[0].spec.native_approval.approve_users[0]',
        message: 'user group "ghosts" does not exist',
      },
    ]);
    const runs = await engine.api('GET', `/api/v1/projects/${P}/workflows/ghost-group/runs`);
    expect(runs.body.total).toBe(0);

    // Once the group exists the run starts, and its number shows the refused attempt took none.
    await makeGroup('ghosts', ['carol']);
    expect(await engine.startRun(P, 'ghost-group')).toBe(1);
    await engine.api('POST', `${runUrl('ghost-group', 1)}/cancel`);
  });

  it('refuses a run whose approval needs more approvers than its groups hold', async () => {
    await makeGroup('pair', ['carol', 'dave']);
    await engine.defineWorkflow(
      twoStages('too-few', {
        name: 'approve',
        jobs: [
          {
            name: 'approve',
            type: 'approval',
            spec: {
              native_approval: {
                approve_users: [{ type: 'group', group_name: 'pair' }, { user_name: 'carol' }],
                needed_approvers: 3,
              },
            },
          },
        ],
      }),
    );
    const refused = await engine.api('POST', `/api/v1/projects/${P}/workflows/too-few/runs`, {});
    expect(refused.status).toBe(400);
    expect(refused.body.issues).toEqual([
      {
        path: 'stages[0].jobs[0].spec.native_approval.needed_approvers',
        message: 'job "approve" needs 3 approvals but only 2 people can approve',
      },
    ]);
  });
});
