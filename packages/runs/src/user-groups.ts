import { ValidationError } from '@stagecoach/platform';
import {
  listedUserNames,
  type ApprovalSpec,
  type Job,
  type NativeApproval,
  type NotifyCtl,
  type SpecIssue,
  type Stage,
  type UserRef,
  type WorkflowDefinition,
} from '@stagecoach/spec';

// Zadig expands user groups into their members when it builds a run's job tasks (`flat_approve_users`).
// Doing the same here, before the run starts, keeps the workflow deterministic: it only ever compares
// user names, and membership changes after the start do not change who may act on that run.
//
// A group entry names its group by `group_id` (the Stagecoach group's id, as /api/v1/user-groups
// shows it) or by `group_name`. The id is tried first; when it names no group here (a definition
// exported from Zadig carries Zadig's ids) the name decides.

/** A group as a run is built with it: its id, its name and its members at that moment. */
export interface GroupMembers {
  id: string;
  name: string;
  members: readonly { userId: string; username: string }[];
}

/** Where a user list sits in the definition, and whose list it is (for messages). */
interface ListAt {
  path: string;
  owner: string;
}

type MapList = (users: readonly UserRef[], at: ListAt) => UserRef[];

/** The groups a definition's user lists name, by id and by name. */
export function referencedGroups(definition: WorkflowDefinition): { ids: string[]; names: string[] } {
  const ids = new Set<string>();
  const names = new Set<string>();
  mapUserLists(definition, (users) => {
    for (const u of users.filter(isGroup)) {
      if (u.group_id) ids.add(u.group_id);
      if (u.group_name) names.add(u.group_name);
    }
    return [...users];
  });
  return { ids: [...ids], names: [...names] };
}

/**
 * Replaces every group entry by `{type: 'user', user_name, user_id}` entries for its members, at the
 * group's place in the list. A member who is already listed (by name or id), or came in through an
 * earlier group, is not added again. A group that does not exist refuses the run (ValidationError).
 */
export function expandUserGroups(definition: WorkflowDefinition, groups: readonly GroupMembers[]): WorkflowDefinition {
  const byId = new Map(groups.map((g) => [g.id, g]));
  const byName = new Map(groups.map((g) => [g.name, g]));
  const groupOf = (ref: UserRef) =>
    (ref.group_id ? byId.get(ref.group_id) : undefined) ?? (ref.group_name ? byName.get(ref.group_name) : undefined);
  const issues: SpecIssue[] = [];
  const owners: string[] = [];

  const expanded = mapUserLists(definition, (users, at) => {
    if (!users.some(isGroup)) return [...users];
    const listed = new Set(users.filter(isUser).flatMap((u) => [u.user_name, u.user_id].filter(Boolean) as string[]));
    const added = new Set<string>();
    const out: UserRef[] = [];
    users.forEach((u, i) => {
      if (!isGroup(u)) return void out.push(u);
      const group = groupOf(u);
      if (!group) {
        issues.push({ path: `${at.path}[${i}]`, message: `user group ${groupLabel(u)} does not exist` });
        owners.push(`${groupLabel(u)} (${at.owner})`);
        return;
      }
      for (const m of group.members) {
        if (listed.has(m.username) || listed.has(m.userId) || added.has(m.userId)) continue;
        added.add(m.userId);
        out.push({ type: 'user', user_name: m.username, user_id: m.userId });
      }
    });
    return out;
  });
  if (issues.length > 0) throw new ValidationError(`unknown user group: ${owners.join(', ')}`, issues);
  return expanded;
}

/**
 * What Zadig checks when it builds the job tasks, on the expanded lists: an approval can be passed
 * (at least one approver, and no more approvals needed than there are people to give them), and a
 * manual-exec stage or a manual_check policy has someone to act on it. A group without members can
 * leave a list empty even though the saved definition was valid.
 */
export function checkGateUsers(definition: WorkflowDefinition, creator: string): WorkflowDefinition {
  const issues: SpecIssue[] = [];
  const people = (users: readonly UserRef[] | undefined) => listedUserNames(users ?? [], creator).length;
  const checkApproval = (na: NativeApproval, path: string, owner: string) => {
    const count = people(na.approve_users);
    const needed = na.needed_approvers || 1;
    if (count === 0) issues.push({ path: `${path}.approve_users`, message: `${owner} has no one who can approve` });
    else if (needed > count) {
      const who = count === 1 ? '1 person' : `${count} people`;
      issues.push({
        path: `${path}.needed_approvers`,
        message: `${owner} needs ${needed} approvals but only ${who} can approve`,
      });
    }
  };
  definition.stages.forEach((stage, si) => {
    const sp = `stages[${si}]`;
    if (stage.approval?.enabled && stage.approval.native_approval) {
      checkApproval(
        stage.approval.native_approval,
        `${sp}.approval.native_approval`,
        `the approval of stage "${stage.name}"`,
      );
    }
    if (stage.manual_exec?.enabled && people(stage.manual_exec.manual_exec_users) === 0) {
      issues.push({
        path: `${sp}.manual_exec.manual_exec_users`,
        message: `stage "${stage.name}" has no one who can execute it`,
      });
    }
    stage.jobs.forEach((job, ji) => {
      const jp = `${sp}.jobs[${ji}]`;
      const native = job.type === 'approval' ? (job.spec as Partial<ApprovalSpec>).native_approval : undefined;
      if (native) checkApproval(native, `${jp}.spec.native_approval`, `job "${job.name}"`);
      if (job.error_policy?.policy === 'manual_check' && people(job.error_policy.approval_users) === 0) {
        issues.push({
          path: `${jp}.error_policy.approval_users`,
          message: `job "${job.name}" has no one who can decide on its failure`,
        });
      }
    });
  });
  if (issues.length > 0) throw new ValidationError(issues.map((i) => i.message).join('; '), issues);
  return definition;
}

const isGroup = (u: UserRef) => u.type === 'group';
// Older Zadig data leaves `type` empty for plain users.
const isUser = (u: UserRef) => !u.type || u.type === 'user';
const groupLabel = (u: UserRef) =>
  u.group_name ? JSON.stringify(u.group_name) : `with id ${JSON.stringify(u.group_id)}`;

/**
 * Rebuilds the definition with every user list passed through `fn`: stage approvals and manual-exec
 * users, approval jobs' approvers, manual_check deciders, and the mail recipients of notify ctls
 * (workflow and job level) and of notification jobs.
 */
function mapUserLists(definition: WorkflowDefinition, fn: MapList): WorkflowDefinition {
  const stages = definition.stages.map((stage, si): Stage => {
    const sp = `stages[${si}]`;
    const owner = `stage "${stage.name}"`;
    const next: Stage = { ...stage, jobs: stage.jobs.map((job, ji) => mapJobLists(job, `${sp}.jobs[${ji}]`, fn)) };
    if (stage.approval?.native_approval) {
      const path = `${sp}.approval.native_approval`;
      next.approval = {
        ...stage.approval,
        native_approval: mapApproval(stage.approval.native_approval, path, owner, fn),
      };
    }
    if (stage.manual_exec?.manual_exec_users) {
      const path = `${sp}.manual_exec.manual_exec_users`;
      next.manual_exec = {
        ...stage.manual_exec,
        manual_exec_users: fn(stage.manual_exec.manual_exec_users, { path, owner }),
      };
    }
    return next;
  });
  const notify = definition.notify_ctls && mapNotifyCtls(definition.notify_ctls, 'notify_ctls', 'workflow', fn);
  return { ...definition, stages, ...(notify ? { notify_ctls: notify } : {}) };
}

function mapJobLists(job: Job, path: string, fn: MapList): Job {
  const owner = `job "${job.name}"`;
  const next: Job = { ...job };
  if (job.type === 'approval') {
    const spec = job.spec as Partial<ApprovalSpec> | undefined;
    if (spec?.native_approval) {
      next.spec = {
        ...spec,
        native_approval: mapApproval(spec.native_approval, `${path}.spec.native_approval`, owner, fn),
      };
    }
  }
  if (job.type === 'notification') next.spec = mapMailTargets(job.spec, `${path}.spec`, owner, fn);
  if (job.error_policy?.approval_users) {
    const at = { path: `${path}.error_policy.approval_users`, owner };
    next.error_policy = { ...job.error_policy, approval_users: fn(job.error_policy.approval_users, at) };
  }
  if (job.notify_ctls) next.notify_ctls = mapNotifyCtls(job.notify_ctls, `${path}.notify_ctls`, owner, fn);
  return next;
}

function mapApproval(na: NativeApproval, path: string, owner: string, fn: MapList): NativeApproval {
  return na.approve_users
    ? { ...na, approve_users: fn(na.approve_users, { path: `${path}.approve_users`, owner }) }
    : na;
}

function mapNotifyCtls(ctls: readonly NotifyCtl[], path: string, owner: string, fn: MapList): NotifyCtl[] {
  return ctls.map((ctl, i) => mapMailTargets(ctl, `${path}[${i}]`, owner, fn));
}

/** `mail_notification_config.target_users` entries are user refs that may also carry an `email`. */
function mapMailTargets<T>(holder: T, path: string, owner: string, fn: MapList): T {
  const cfg = (holder as { mail_notification_config?: { target_users?: unknown } } | undefined)
    ?.mail_notification_config;
  if (!Array.isArray(cfg?.target_users)) return holder;
  const at = { path: `${path}.mail_notification_config.target_users`, owner };
  return { ...holder, mail_notification_config: { ...cfg, target_users: fn(cfg.target_users as UserRef[], at) } };
}
