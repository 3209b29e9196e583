import { describe, expect, it } from 'vitest';
import { ValidationError } from '@stagecoach/platform';
import type { Job, NotifyCtl, Stage, UserRef, WorkflowDefinition } from '@stagecoach/spec';
import { checkGateUsers, expandUserGroups, referencedGroups, type GroupMembers } from './user-groups.js';

const groupWith = (id: string, name: string, ...usernames: string[]): GroupMembers => ({
  id,
  name,
  members: usernames.map((username) => ({ userId: `u-${username}`, username })),
});
const OPS = groupWith('11111111-1111-4111-8111-111111111111', 'ops', 'carol', 'dave');
const QA = groupWith('22222222-2222-4222-8222-222222222222', 'qa', 'dave', 'erin');
const EMPTY = groupWith('33333333-3333-4333-8333-333333333333', 'empty');

const user = (name: string): UserRef => ({ type: 'user', user_name: name });
const groupRef = (ref: Pick<UserRef, 'group_id' | 'group_name'>): UserRef => ({ type: 'group', ...ref });
const approval = (name: string, approvers: UserRef[], needed?: number): Job => ({
  name,
  type: 'approval',
  spec: {
    native_approval: { approve_users: approvers, ...(needed !== undefined ? { needed_approvers: needed } : {}) },
  },
});
const mailCtl = (targets: unknown[]): NotifyCtl => ({
  webhook_type: 'mail',
  notify_type: ['failed'],
  mail_notification_config: { target_users: targets },
});
const def = (stages: Stage[], extra: Partial<WorkflowDefinition> = {}): WorkflowDefinition => ({
  name: 'wf',
  project: 'p',
  stages,
  ...extra,
});

/** Every user list of a definition that names groups in all the places Zadig allows them. */
function everywhere(ref: UserRef): WorkflowDefinition {
  return def(
    [
      {
        name: 'gate',
        approval: { enabled: true, native_approval: { approve_users: [ref] } },
        manual_exec: { enabled: true, manual_exec_users: [ref] },
        jobs: [
          approval('approve', [ref]),
          {
            name: 'build',
            type: 'freestyle',
            spec: { script: 'true' },
            error_policy: { policy: 'manual_check', approval_users: [ref] },
            notify_ctls: [mailCtl([ref])],
          },
          {
            name: 'mail',
            type: 'notification',
            spec: { webhook_type: 'mail', title: 't', content: 'c', mail_notification_config: { target_users: [ref] } },
          },
        ],
      },
    ],
    { notify_ctls: [mailCtl([ref])] },
  );
}

/** The user lists of `everywhere`'s shape, in the order they appear there. */
function listsOf(d: WorkflowDefinition): unknown[] {
  const stage = d.stages[0]!;
  const [appr, build, mail] = stage.jobs as [Job, Job, Job];
  return [
    stage.approval?.native_approval?.approve_users,
    stage.manual_exec?.manual_exec_users,
    (appr.spec as { native_approval: { approve_users: unknown } }).native_approval.approve_users,
    build.error_policy?.approval_users,
    (build.notify_ctls?.[0]?.['mail_notification_config'] as { target_users: unknown }).target_users,
    (mail.spec as { mail_notification_config: { target_users: unknown } }).mail_notification_config.target_users,
    (d.notify_ctls?.[0]?.['mail_notification_config'] as { target_users: unknown }).target_users,
  ];
}

const members = (...names: string[]) => names.map((n) => ({ type: 'user', user_name: n, user_id: `u-${n}` }));

function refusal(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ValidationError) return err;
    throw err;
  }
  throw new Error('expected a ValidationError');
}

describe('referencedGroups', () => {
  it('collects group ids and names from every user list, once each, and ignores users', () => {
    const d = everywhere(groupRef({ group_id: OPS.id, group_name: 'ops' }));
    d.stages[0]!.jobs.push(approval('second', [groupRef({ group_name: 'qa' }), user('zed')]));
    expect(referencedGroups(d)).toEqual({ ids: [OPS.id], names: ['ops', 'qa'] });
    expect(referencedGroups(def([{ name: 's', jobs: [approval('a', [user('zed')])] }]))).toEqual({
      ids: [],
      names: [],
    });
  });
});

describe('expandUserGroups', () => {
  it('replaces a group by its members in every user list Zadig expands', () => {
    const d = everywhere(groupRef({ group_name: 'ops' }));
    const expanded = expandUserGroups(d, [OPS]);
    for (const list of listsOf(expanded)) expect(list).toEqual(members('carol', 'dave'));
    // The input is left as it was: the stored definition keeps naming the group.
    for (const list of listsOf(d)) expect(list).toEqual([{ type: 'group', group_name: 'ops' }]);
  });

  it('matches group_id against the group id first, then group_name', () => {
    const byId = expandUserGroups(everywhere(groupRef({ group_id: QA.id, group_name: 'ops' })), [OPS, QA]);
    expect(listsOf(byId)[0]).toEqual(members('dave', 'erin'));
    // An id from elsewhere (a Zadig export) names no group here: the name decides.
    const foreign = expandUserGroups(everywhere(groupRef({ group_id: 'zadig-group-7', group_name: 'ops' })), [OPS]);
    expect(listsOf(foreign)[0]).toEqual(members('carol', 'dave'));
    const idOnly = expandUserGroups(everywhere(groupRef({ group_id: OPS.id })), [OPS]);
    expect(listsOf(idOnly)[0]).toEqual(members('carol', 'dave'));
  });

  it('keeps listed users and task_creator in place and adds each member once', () => {
    const d = def([
      {
        name: 's',
        jobs: [
          approval('a', [
            user('dave'),
            groupRef({ group_name: 'ops' }),
            { type: 'task_creator' },
            groupRef({ group_name: 'qa' }),
            { user_id: 'u-erin' },
          ]),
        ],
      },
    ]);
    const spec = expandUserGroups(d, [OPS, QA]).stages[0]!.jobs[0]!.spec as { native_approval: { approve_users: [] } };
    expect(spec.native_approval.approve_users).toEqual([
      { type: 'user', user_name: 'dave' },
      { type: 'user', user_name: 'carol', user_id: 'u-carol' },
      { type: 'task_creator' },
      { user_id: 'u-erin' },
    ]);
  });

  it('adds a member of two groups once', () => {
    const d = def([
      { name: 's', jobs: [approval('a', [groupRef({ group_name: 'ops' }), groupRef({ group_name: 'qa' })])] },
    ]);
    const spec = expandUserGroups(d, [OPS, QA]).stages[0]!.jobs[0]!.spec as { native_approval: { approve_users: [] } };
    expect(spec.native_approval.approve_users).toEqual(members('carol', 'dave', 'erin'));
  });

  it('keeps mail entries with their own address next to expanded members', () => {
    const d = def([{ name: 's', jobs: [] }], {
      notify_ctls: [mailCtl([{ type: 'user', email: 'ci@example.com' }, groupRef({ group_name: 'qa' })])],
    });
    const cfg = expandUserGroups(d, [QA]).notify_ctls![0]!['mail_notification_config'];
    expect(cfg).toEqual({ target_users: [{ type: 'user', email: 'ci@example.com' }, ...members('dave', 'erin')] });
  });

  it('leaves a definition without groups unchanged', () => {
    const d = everywhere(user('zed'));
    expect(expandUserGroups(d, [])).toEqual(d);
  });

  it('refuses the run naming each unknown group, where it is and whose list it is', () => {
    const d = def([
      {
        name: 'prod',
        manual_exec: { enabled: true, manual_exec_users: [user('zed'), groupRef({ group_name: 'release' })] },
        jobs: [approval('approve', [groupRef({ group_id: 'g-404' })])],
      },
    ]);
    const err = refusal(() => expandUserGroups(d, [OPS]));
    expect(err.httpStatus).toBe(400);
    expect(err.issues).toEqual([
      {
        path: 'stages[0].jobs[0].spec.native_approval.approve_users[0]',
        message: 'user group with id "g-404" does not exist',
      },
      { path: 'stages[0].manual_exec.manual_exec_users[1]', message: 'user group "release" does not exist' },
    ]);
    expect(err.message).toBe('unknown user group: with id "g-404" (job "approve"), "release" (stage "prod")');
  });
});

describe('checkGateUsers', () => {
  const one = (job: Job, stage: Partial<Stage> = {}) => def([{ name: 's', ...stage, jobs: [job] }]);

  it('accepts approvals that enough distinct people can pass', () => {
    const d = one(approval('a', [user('carol'), user('dave'), { type: 'task_creator' }], 3));
    expect(checkGateUsers(d, 'erin')).toBe(d);
    // needed_approvers 0 is Go's "not set": one approval.
    expect(checkGateUsers(one(approval('a', [user('carol')], 0)), 'erin')).toBeTruthy();
  });

  it('refuses needing more approvals than there are people, counting the creator once', () => {
    const err = refusal(() =>
      checkGateUsers(one(approval('a', [user('carol'), { type: 'task_creator' }], 2)), 'carol'),
    );
    expect(err.issues).toEqual([
      {
        path: 'stages[0].jobs[0].spec.native_approval.needed_approvers',
        message: 'job "a" needs 2 approvals but only 1 person can approve',
      },
    ]);
    expect(err.message).toBe('job "a" needs 2 approvals but only 1 person can approve');
  });

  it('refuses gates whose groups left nobody to act, after expansion', () => {
    const d = expandUserGroups(everywhere(groupRef({ group_name: 'empty' })), [EMPTY]);
    const err = refusal(() => checkGateUsers(d, 'erin'));
    expect(err.issues.map((i) => i.path)).toEqual([
      'stages[0].approval.native_approval.approve_users',
      'stages[0].manual_exec.manual_exec_users',
      'stages[0].jobs[0].spec.native_approval.approve_users',
      'stages[0].jobs[1].error_policy.approval_users',
    ]);
    expect(err.issues[0]!.message).toBe('the approval of stage "gate" has no one who can approve');
    expect(err.issues[1]!.message).toBe('stage "gate" has no one who can execute it');
    expect(err.issues[3]!.message).toBe('job "build" has no one who can decide on its failure');
  });

  it('counts the members a group brought in', () => {
    const d = expandUserGroups(one(approval('a', [groupRef({ group_name: 'ops' }), user('carol')], 2)), [OPS]);
    expect(checkGateUsers(d, 'erin')).toBe(d);
    const short = expandUserGroups(one(approval('a', [groupRef({ group_name: 'ops' }), user('carol')], 3)), [OPS]);
    expect(refusal(() => checkGateUsers(short, 'erin')).issues[0]!.message).toBe(
      'job "a" needs 3 approvals but only 2 people can approve',
    );
  });

  it('leaves gates that are off alone', () => {
    const d = one(
      { name: 'b', type: 'freestyle', spec: { script: 'true' }, error_policy: { policy: 'stop', approval_users: [] } },
      { manual_exec: { enabled: false, manual_exec_users: [] } },
    );
    expect(checkGateUsers(d, 'erin')).toBe(d);
  });
});
