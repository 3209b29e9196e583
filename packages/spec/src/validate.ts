import { EXECUTE_VERBS } from './execute-policy.js';
import { checkChannelConfig, checkNotifyCtls, WEBHOOK_TYPES } from './notify.js';
import { absent, Checker, isObj, join, quoteList, type Obj } from './checker.js';
import { checkKubeReferences, checkKubeSpec, KUBE_JOB_TYPES, type KubeJobType } from './kube-specs.js';
import { unstorablePart } from './unstorable.js';
import { JOB_TYPES } from './types.js';
import type { JobType, SpecIssue, WorkflowDefinition } from './types.js';

export type SpecResult<T> = { ok: true; value: T } | { ok: false; issues: SpecIssue[] };

/** `setting.WorkflowRegx` */
export const WORKFLOW_NAME_RE = /^[a-zA-Z0-9-]+$/;
/** Zadig's job name rule: lower case, may contain CJK, at most 32 characters. */
export const JOB_NAME_RE = /^[a-z\u4e00-\u9fa5][a-z0-9\u4e00-\u9fa5-]{0,31}$/;
/** Outputs become environment variable names in the job's shell. */
export const OUTPUT_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** A commit a repo is checked out at: an abbreviated or full SHA-1 or SHA-256 hash. */
export const COMMIT_ID_RE = /^[0-9a-f]{4,64}$/i;
/** A git remote name that git cannot read as an option. */
export const REMOTE_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
/**
 * Kubernetes' environment variable name rule, which a Zadig job pod's `envs` must pass: a key
 * Zadig would run is accepted, and one whose pod the API server refuses is refused here, before the run.
 */
export const ENV_NAME_RE = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

export const PARAM_TYPES = [
  'string',
  'text',
  'choice',
  'multi-select',
  'repo',
  'image',
  'script',
  'file',
  'external',
] as const;
export const PARAM_SOURCES = ['runtime', 'fixed', 'reference'] as const;
export const RUN_POLICIES = ['', 'default_not_run', 'force_run', 'skip'] as const;
export const ERROR_POLICIES = ['stop', 'ignore_error', 'retry', 'manual_check'] as const;
export const USER_TYPES = ['user', 'group', 'task_creator'] as const;

/** Zadig's default approval timeout, in minutes. */
export const DEFAULT_APPROVAL_TIMEOUT_MINUTES = 60;

/** Who a user-list entry names, as its refusal says it (undefined when it names nobody yet). */
function listedAs(
  type: string | undefined,
  ids: { userId?: string; userName?: string; groupId?: string; groupName?: string },
): string | undefined {
  if (type === 'task_creator') return 'task_creator';
  if (type === 'group') {
    const group = ids.groupName ?? ids.groupId;
    return group && `group ${JSON.stringify(group)}`;
  }
  if (ids.userName) return `user ${JSON.stringify(ids.userName)}`;
  return ids.userId && `user id ${JSON.stringify(ids.userId)}`;
}

/**
 * Checks a user list. Returns how many approvers it stands for, or undefined when a group makes that unknowable
 * until a run is built: the run build expands groups and checks the count again (packages/runs/src/user-groups.ts).
 */
function checkUsers(c: Checker, list: unknown[], path: string): number | undefined {
  let countable = true;
  // The same person twice is one approver: counted twice, needed_approvers could ask for a vote nobody can give.
  const listed = new Map<string, string>();
  list.forEach((item, i) => {
    const p = `${path}[${i}]`;
    if (!isObj(item)) {
      c.add(p, 'must be an object');
      return;
    }
    // Older Zadig data leaves `type` empty for plain users.
    const type = absent(item['type']) || item['type'] === '' ? 'user' : c.oneOf(item, 'type', p, USER_TYPES);
    const userId = c.string(item, 'user_id', p);
    const userName = c.string(item, 'user_name', p);
    const groupId = c.string(item, 'group_id', p);
    const groupName = c.string(item, 'group_name', p);
    if (type === 'user' && !userId && !userName) c.add(p, 'needs user_name or user_id');
    if (type === 'group') {
      countable = false;
      if (!groupId && !groupName) c.add(p, 'needs group_name or group_id');
    }
    const who = listedAs(type, { userId, userName, groupId, groupName });
    if (!who) return;
    if (listed.has(who)) c.add(p, `${who} is listed already (${listed.get(who)})`);
    else listed.set(who, p);
  });
  return countable ? list.length : undefined;
}

/** Native approval block (job spec `native_approval` and legacy stage `approval.native_approval`). */
function checkNativeApproval(c: Checker, na: Obj, path: string): Obj {
  const out: Obj = { ...na };
  const users = c.array(na, 'approve_users', path, true);
  let count: number | undefined;
  if (users) {
    if (users.length === 0) c.add(join(path, 'approve_users'), 'needs at least one approver');
    else count = checkUsers(c, users, join(path, 'approve_users'));
  }
  const timeout = c.timeout(na, 'timeout', path);
  if (timeout === undefined) delete out['timeout'];
  const needed = c.integer(na, 'needed_approvers', path);
  if (absent(na['needed_approvers']) || needed === 0) {
    // 0 is Go's zero value for "not set"; one approval is what the Zadig UI defaults to.
    out['needed_approvers'] = 1;
  } else if (needed !== undefined) {
    const max = count !== undefined && count > 0 ? count : undefined;
    if (needed < 1 || (max !== undefined && needed > max)) {
      const range = max !== undefined ? `between 1 and ${max} (the number of approvers)` : 'at least 1';
      c.add(join(path, 'needed_approvers'), `must be ${range}`);
    }
  }
  return out;
}

function unsupportedApprovalType(c: Checker, obj: Obj, path: string): void {
  const type = obj['type'];
  if (absent(type) || type === '' || type === 'native') return;
  if (typeof type !== 'string') c.add(join(path, 'type'), 'must be a string');
  else c.add(join(path, 'type'), `approval type ${JSON.stringify(type)} is not supported yet`);
}

function checkApprovalSpec(c: Checker, spec: Obj, path: string): Obj {
  const out: Obj = { ...spec };
  unsupportedApprovalType(c, spec, path);
  out['type'] = 'native';
  out['timeout'] = c.timeout(spec, 'timeout', path) ?? DEFAULT_APPROVAL_TIMEOUT_MINUTES;
  c.string(spec, 'description', path);
  const na = c.object(spec, 'native_approval', path, true);
  if (na) out['native_approval'] = checkNativeApproval(c, na, join(path, 'native_approval'));
  return out;
}

/** A `notification` job: one delivered channel, its config, a title and content. */
function checkNotificationSpec(c: Checker, spec: Obj, path: string): Obj {
  c.oneOf(spec, 'webhook_type', path, WEBHOOK_TYPES, true);
  c.string(spec, 'title', path, true);
  c.string(spec, 'content', path, true);
  checkChannelConfig(spec, path, (p, message) => c.add(p, message));
  return { ...spec };
}

function checkFreestyleSpec(c: Checker, spec: Obj, path: string): Obj {
  const out: Obj = { ...spec };
  c.oneOf(spec, 'freestyle_type', path, ['', 'service_freestyle']);
  out['freestyle_type'] = spec['freestyle_type'] ?? '';
  const script = spec['script'];
  if (absent(script)) c.add(join(path, 'script'), 'is required');
  else if (typeof script !== 'string') c.add(join(path, 'script'), 'must be a string');
  const scriptType = spec['script_type'];
  if (!absent(scriptType) && scriptType !== '' && scriptType !== 'shell') {
    if (typeof scriptType !== 'string') c.add(join(path, 'script_type'), 'must be a string');
    else c.add(join(path, 'script_type'), `script type ${JSON.stringify(scriptType)} is not supported yet`);
  }
  out['script_type'] = 'shell';

  const repos = c.array(spec, 'repos', path);
  out['repos'] = repos ?? [];
  repos?.forEach((repo, i) => {
    const p = `${join(path, 'repos')}[${i}]`;
    if (!isObj(repo)) {
      c.add(p, 'must be an object');
      return;
    }
    c.string(repo, 'repo_name', p, true);
    const address = c.string(repo, 'address', p);
    const owner = c.string(repo, 'repo_owner', p);
    const unset = (k: string) => absent(repo[k]) || repo[k] === '';
    if (!address && !owner && unset('address') && unset('repo_owner')) c.add(p, 'needs either address or repo_owner');
    for (const key of ['source', 'repo_namespace', 'branch', 'tag']) c.string(repo, key, p);
    checkCheckoutTarget(c, repo, p);
    c.integer(repo, 'codehost_id', p);
    const pr = c.integer(repo, 'pr', p);
    if (pr !== undefined && pr <= 0) c.add(join(p, 'pr'), 'must be a PR number (≥ 1)');
    // The executor reads `prs` only when `pr` is not set.
    const prsRead = absent(repo['pr']);
    const prs = c.array(repo, 'prs', p);
    prs?.forEach((n, j) => {
      if (typeof n !== 'number' || !Number.isInteger(n)) c.add(`${join(p, 'prs')}[${j}]`, 'must be an integer');
      else if (n <= 0 && prsRead) c.add(`${join(p, 'prs')}[${j}]`, 'must be a PR number (≥ 1)');
    });
    if (prsRead && prs && prs.length > 1 && unset('branch')) {
      c.add(join(p, 'branch'), 'several PRs (prs) need the branch they are merged into');
    }
  });

  const envs = c.array(spec, 'envs', path);
  out['envs'] = envs ?? [];
  const envKeys = new Map<string, string>();
  envs?.forEach((kv, i) => {
    const p = `${join(path, 'envs')}[${i}]`;
    if (!isObj(kv)) {
      c.add(p, 'must be an object');
      return;
    }
    const key = c.string(kv, 'key', p, true);
    // A templated key gets its name when the job is rendered.
    if (key !== undefined && !key.includes('{{') && !ENV_NAME_RE.test(key)) {
      c.add(join(p, 'key'), `environment variable name ${JSON.stringify(key)} must match ${ENV_NAME_RE.source}`);
    } else if (key !== undefined && envKeys.has(key)) {
      // Only one value reaches the script: which one would be an accident of order.
      c.add(
        join(p, 'key'),
        `duplicate environment variable ${JSON.stringify(key)} (already set by ${envKeys.get(key)})`,
      );
    } else if (key !== undefined) {
      envKeys.set(key, p);
    }
    c.string(kv, 'value', p);
    c.string(kv, 'type', p);
    c.string(kv, 'description', p);
    c.boolean(kv, 'is_credential', p);
  });

  const adv = c.object(spec, 'advanced_setting', path);
  if (adv) {
    const ap = join(path, 'advanced_setting');
    const advOut: Obj = { ...adv };
    if (c.timeout(adv, 'timeout', ap) === undefined) delete advOut['timeout'];
    const seen = new Map<string, string>();
    c.array(adv, 'outputs', ap)?.forEach((o, i) => {
      const p = `${join(ap, 'outputs')}[${i}]`;
      if (!isObj(o)) {
        c.add(p, 'must be an object');
        return;
      }
      c.string(o, 'description', p);
      const name = c.string(o, 'name', p, true);
      if (name === undefined) return;
      if (!OUTPUT_NAME_RE.test(name)) {
        c.add(join(p, 'name'), `output name ${JSON.stringify(name)} must match ${OUTPUT_NAME_RE.source}`);
      } else if (seen.has(name)) {
        c.add(join(p, 'name'), `duplicate output name ${JSON.stringify(name)} (already used by ${seen.get(name)})`);
      } else {
        seen.set(name, p);
      }
    });
    out['advanced_setting'] = advOut;
  }
  return out;
}

/**
 * Where a repo is checked out and at what: refused here rather than when the job runs. A templated value
 * is checked by the executor once rendered.
 */
function checkCheckoutTarget(c: Checker, repo: Obj, p: string): void {
  /** A value given as it will be used: set, and no template. */
  const literal = (value: unknown): string | undefined =>
    typeof value === 'string' && value !== '' && !value.includes('{{') ? value : undefined;
  const given = (key: string) => literal(c.string(repo, key, p));
  const commit = given('commit_id');
  if (commit !== undefined && !COMMIT_ID_RE.test(commit)) {
    c.add(join(p, 'commit_id'), 'must be a commit hash (4 to 64 hexadecimal digits)');
  }
  // Without a checkout_path the repo is checked out at its repo_name (whose type the caller checks).
  const path = given('checkout_path');
  const [field, target] = path !== undefined ? ['checkout_path', path] : ['repo_name', literal(repo['repo_name'])];
  if (target !== undefined && !staysBelow(target)) {
    c.add(join(p, field), 'must be a relative path inside the job workspace');
  }
  const remote = given('remote_name');
  if (remote !== undefined && !REMOTE_NAME_RE.test(remote)) {
    c.add(join(p, 'remote_name'), `must be a git remote name (${REMOTE_NAME_RE.source})`);
  }
}

/** Whether a relative path names something strictly inside the folder it is relative to. */
function staysBelow(path: string): boolean {
  if (path.startsWith('/')) return false;
  let depth = 0;
  for (const part of path.split('/')) {
    if (part === '..') depth -= 1;
    else if (part !== '' && part !== '.') depth += 1;
    if (depth < 0) return false;
  }
  return depth > 0;
}

const SPEC_CHECKS: Record<JobType, (c: Checker, spec: Obj, path: string) => Obj> = {
  freestyle: checkFreestyleSpec,
  approval: checkApprovalSpec,
  notification: checkNotificationSpec,
  ...(Object.fromEntries(
    KUBE_JOB_TYPES.map((type) => [type, (c: Checker, spec: Obj, path: string) => checkKubeSpec(type, c, spec, path)]),
  ) as Record<KubeJobType, (c: Checker, spec: Obj, path: string) => Obj>),
};

function checkErrorPolicy(c: Checker, job: Obj, parent: string): Obj {
  const ep = c.object(job, 'error_policy', parent);
  if (!ep) return { policy: 'stop' };
  const path = join(parent, 'error_policy');
  const out: Obj = { ...ep };
  // An empty policy falls through Zadig's switch, i.e. behaves as `stop`.
  const policy = c.oneOf(ep, 'policy', path, ERROR_POLICIES);
  if (absent(ep['policy'])) out['policy'] = 'stop';
  const retries = c.integer(ep, 'maximum_retry', path);
  if (retries !== undefined && retries < 0) c.add(join(path, 'maximum_retry'), 'must be an integer ≥ 0');
  const users = c.array(ep, 'approval_users', path);
  if (users) checkUsers(c, users, join(path, 'approval_users'));
  if (policy === 'manual_check' && (users ? users.length === 0 : absent(ep['approval_users']))) {
    c.add(join(path, 'approval_users'), 'manual_check needs at least one approval user');
  }
  return out;
}

function checkExecutePolicy(c: Checker, job: Obj, parent: string): Obj | undefined {
  const ep = c.object(job, 'execute_policy', parent);
  if (!ep) return undefined;
  const path = join(parent, 'execute_policy');
  const out: Obj = { ...ep };
  c.oneOf(ep, 'type', path, ['skip', 'execute'], true);
  c.oneOf(ep, 'match_rule', path, ['all', 'any']);
  if (absent(ep['match_rule'])) out['match_rule'] = 'all';
  const rules = c.array(ep, 'rules', path);
  out['rules'] = rules ?? [];
  rules?.forEach((rule, i) => {
    const p = `${join(path, 'rules')}[${i}]`;
    if (!isObj(rule)) {
      c.add(p, 'must be an object');
      return;
    }
    c.string(rule, 'field', p, true);
    c.oneOf(rule, 'verb', p, EXECUTE_VERBS, true);
    c.string(rule, 'value', p);
  });
  return out;
}

function checkJob(c: Checker, job: unknown, path: string, jobNames: Map<string, string>): unknown {
  if (!isObj(job)) {
    c.add(path, 'must be an object');
    return job;
  }
  const out: Obj = { ...job };
  const name = c.string(job, 'name', path, true);
  if (name !== undefined) {
    if (!JOB_NAME_RE.test(name)) {
      c.add(
        join(path, 'name'),
        `job name ${JSON.stringify(name)} must start with a lower-case letter (or CJK character) and contain only lower-case letters, digits, CJK characters and "-", at most 32 characters`,
      );
    } else if (jobNames.has(name)) {
      c.add(join(path, 'name'), `duplicate job name ${JSON.stringify(name)} (already used by ${jobNames.get(name)})`);
    } else {
      jobNames.set(name, path);
    }
  }

  const typePath = join(path, 'type');
  const rawType = job['type'];
  let type: string | undefined;
  if (absent(rawType) || rawType === '') c.add(typePath, 'is required');
  else if (typeof rawType !== 'string') c.add(typePath, 'must be a string');
  else if (!(JOB_TYPES as readonly string[]).includes(rawType)) {
    c.add(typePath, `job type ${JSON.stringify(rawType)} is not supported yet`);
  } else type = rawType;

  if (type !== undefined) {
    const spec = c.object(job, 'spec', path, true);
    if (spec) {
      const specPath = join(path, 'spec');
      out['spec'] = SPEC_CHECKS[type as JobType](c, spec, specPath);
    }
  }

  out['skipped'] = c.boolean(job, 'skipped', path) ?? false;
  c.oneOf(job, 'run_policy', path, RUN_POLICIES);
  out['run_policy'] = job['run_policy'] ?? '';
  out['error_policy'] = checkErrorPolicy(c, job, path);
  const ep = checkExecutePolicy(c, job, path);
  if (ep) out['execute_policy'] = ep;
  const ctls = c.array(job, 'notify_ctls', path);
  if (ctls) c.issues.push(...checkNotifyCtls(ctls, join(path, 'notify_ctls'), 'job'));
  return out;
}

function checkStage(
  c: Checker,
  stage: unknown,
  path: string,
  stageNames: Map<string, string>,
  jobNames: Map<string, string>,
): unknown {
  if (!isObj(stage)) {
    c.add(path, 'must be an object');
    return stage;
  }
  const out: Obj = { ...stage };
  const name = c.string(stage, 'name', path, true);
  if (name !== undefined) {
    if (stageNames.has(name)) {
      c.add(
        join(path, 'name'),
        `duplicate stage name ${JSON.stringify(name)} (already used by ${stageNames.get(name)})`,
      );
    } else {
      stageNames.set(name, path);
    }
  }
  out['parallel'] = c.boolean(stage, 'parallel', path) ?? false;

  const me = c.object(stage, 'manual_exec', path);
  if (me) {
    const mp = join(path, 'manual_exec');
    const enabled = c.boolean(me, 'enabled', mp);
    c.boolean(me, 'modify_params', mp);
    const users = c.array(me, 'manual_exec_users', mp);
    if (users) checkUsers(c, users, join(mp, 'manual_exec_users'));
    if (enabled === true && (users ? users.length === 0 : absent(me['manual_exec_users']))) {
      c.add(join(mp, 'manual_exec_users'), 'manual execution needs at least one user');
    }
    out['manual_exec'] = { ...me, enabled: enabled ?? false };
  }

  const ap = c.object(stage, 'approval', path);
  if (ap) {
    const p = join(path, 'approval');
    const enabled = c.boolean(ap, 'enabled', p);
    const apOut: Obj = { ...ap, enabled: enabled ?? false };
    if (enabled === true) {
      unsupportedApprovalType(c, ap, p);
      apOut['type'] = 'native';
      c.string(ap, 'description', p);
      apOut['timeout'] = c.timeout(ap, 'timeout', p) ?? DEFAULT_APPROVAL_TIMEOUT_MINUTES;
      const na = c.object(ap, 'native_approval', p, true);
      if (na) apOut['native_approval'] = checkNativeApproval(c, na, join(p, 'native_approval'));
    }
    out['approval'] = apOut;
  }

  const jobs = c.array(stage, 'jobs', path, true);
  if (jobs) {
    if (jobs.length === 0) c.add(join(path, 'jobs'), 'must contain at least one job');
    out['jobs'] = jobs.map((job, i) => checkJob(c, job, `${join(path, 'jobs')}[${i}]`, jobNames));
  }
  return out;
}

function checkParams(c: Checker, params: unknown[]): void {
  const seen = new Map<string, string>();
  params.forEach((param, i) => {
    const path = `params[${i}]`;
    if (!isObj(param)) {
      c.add(path, 'must be an object');
      return;
    }
    const name = c.string(param, 'name', path, true);
    if (name !== undefined) {
      if (seen.has(name))
        c.add(join(path, 'name'), `duplicate param name ${JSON.stringify(name)} (already used by ${seen.get(name)})`);
      else seen.set(name, path);
    }
    const type = c.oneOf(param, 'type', path, PARAM_TYPES, true);
    c.string(param, 'description', path);
    const value = c.string(param, 'value', path);
    const def = c.string(param, 'default', path);
    const options = c.stringArray(param, 'choice_option', path);
    const chosen = c.stringArray(param, 'choice_value', path);
    c.boolean(param, 'is_credential', path);
    c.oneOf(param, 'source', path, PARAM_SOURCES);
    c.boolean(param, 'required', path);

    if (type === 'choice' || type === 'multi-select') {
      if (options === undefined && absent(param['choice_option'])) {
        c.add(join(path, 'choice_option'), `a ${type} param needs at least one option`);
        return;
      }
      if (options === undefined) return;
      if (options.length === 0) {
        c.add(join(path, 'choice_option'), `a ${type} param needs at least one option`);
        return;
      }
      const check = (v: string | undefined, p: string) => {
        if (v && !options.includes(v)) c.add(p, `${JSON.stringify(v)} is not one of the options ${quoteList(options)}`);
      };
      if (type === 'choice') {
        check(value, join(path, 'value'));
        check(def, join(path, 'default'));
      } else {
        chosen?.forEach((v, j) => check(v, `${join(path, 'choice_value')}[${j}]`));
      }
    }
  });
}

/**
 * Validates a parsed workflow definition and returns it with defaults filled in. Every problem is reported, each
 * with a JSON path. Keys Stagecoach does not know are kept untouched (Zadig definitions carry many).
 */
/** Each stage's jobs with their paths, for rules that look across jobs. */
function jobsByStage(stages: unknown[]) {
  return stages.map((stage, si) =>
    (isObj(stage) && Array.isArray(stage['jobs']) ? stage['jobs'] : []).flatMap((job: unknown, ji) =>
      isObj(job) && typeof job['name'] === 'string' && typeof job['type'] === 'string' && isObj(job['spec'])
        ? [{ name: job['name'], type: job['type'], spec: job['spec'], path: `stages[${si}].jobs[${ji}]` }]
        : [],
    ),
  );
}

export function validateDefinition(value: unknown): SpecResult<WorkflowDefinition> {
  const c = new Checker();
  if (!isObj(value)) {
    c.add('', 'workflow definition must be an object');
    return { ok: false, issues: c.issues };
  }
  const out: Obj = { ...value };
  const unstorable = unstorablePart(value);
  if (unstorable) {
    const path = unstorable.path.reduce<string>((p, s) => (typeof s === 'number' ? `${p}[${s}]` : join(p, s)), '');
    c.add(path, unstorable.message);
    // The checks below walk the definition too: one too deep or containing itself would overflow them.
    if (unstorable.kind !== 'text') return { ok: false, issues: c.issues };
  }

  const name = c.string(value, 'name', '', true);
  if (name !== undefined && !WORKFLOW_NAME_RE.test(name)) {
    c.add('name', `workflow name ${JSON.stringify(name)} may contain only letters, digits and "-"`);
  }
  c.string(value, 'display_name', '');
  c.string(value, 'project', '', true);
  c.string(value, 'description', '');
  c.oneOf(value, 'category', '', ['', 'release']);
  c.boolean(value, 'disabled', '');
  c.boolean(value, 'remark_required', '');

  const params = c.array(value, 'params', '');
  if (params) checkParams(c, params);
  out['params'] = params ?? [];

  const limit = c.integer(value, 'concurrency_limit', '');
  if (limit !== undefined && limit < -1)
    c.add('concurrency_limit', 'must be -1 (unlimited), 0 (unlimited) or a positive integer');
  const multiRun = c.boolean(value, 'multi_run', '');
  if (absent(value['concurrency_limit'])) out['concurrency_limit'] = multiRun === false ? 1 : -1;

  const ctls = c.array(value, 'notify_ctls', '');
  if (ctls) c.issues.push(...checkNotifyCtls(ctls, 'notify_ctls', 'workflow'));

  const stages = c.array(value, 'stages', '', true);
  if (stages) {
    if (stages.length === 0) c.add('stages', 'must contain at least one stage');
    const stageNames = new Map<string, string>();
    const jobNames = new Map<string, string>();
    out['stages'] = stages.map((s, i) => checkStage(c, s, `stages[${i}]`, stageNames, jobNames));
    c.issues.push(...checkKubeReferences(jobsByStage(stages)));
  }

  if (c.issues.length > 0) return { ok: false, issues: c.issues };
  return { ok: true, value: out as unknown as WorkflowDefinition };
}
