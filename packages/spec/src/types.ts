// Zadig custom workflow (v4) definition, keys spelled as Zadig spells them (models/workflow_v4.go).
import { KUBE_JOB_TYPES } from './kube-specs.js';
import type { NotifyCtl, WebhookType } from './notify.js';

export const JOB_TYPES = ['freestyle', 'approval', 'notification', ...KUBE_JOB_TYPES] as const;
export type JobType = (typeof JOB_TYPES)[number];

export type ParamType =
  'string' | 'text' | 'choice' | 'multi-select' | 'repo' | 'image' | 'script' | 'file' | 'external';

export interface Param {
  name: string;
  description?: string;
  type: ParamType;
  value?: string;
  default?: string;
  choice_option?: string[];
  choice_value?: string[];
  is_credential?: boolean;
  source?: 'runtime' | 'fixed' | 'reference';
  required?: boolean;
}

export interface KeyVal {
  key: string;
  value: string;
  type?: string;
  is_credential?: boolean;
  description?: string;
}

/** A person (or group, or "whoever started the run") allowed to act on a gate. */
export interface UserRef {
  type?: 'user' | 'group' | 'task_creator';
  user_id?: string;
  user_name?: string;
  group_id?: string;
  group_name?: string;
}

export interface ManualExec {
  enabled: boolean;
  modify_params?: boolean;
  manual_exec_users?: UserRef[];
}

export interface NativeApproval {
  timeout?: number;
  approve_users: UserRef[];
  needed_approvers?: number;
}

/** Legacy stage-level approval block; runs as a native approval before the stage's jobs. */
export interface StageApproval {
  enabled: boolean;
  type?: string;
  description?: string;
  timeout?: number;
  native_approval?: NativeApproval;
}

export interface Stage {
  name: string;
  parallel?: boolean;
  manual_exec?: ManualExec;
  approval?: StageApproval;
  jobs: Job[];
}

export type RunPolicy = '' | 'default_not_run' | 'force_run' | 'skip';

export interface ErrorPolicy {
  policy: 'stop' | 'ignore_error' | 'retry' | 'manual_check';
  maximum_retry?: number;
  approval_users?: UserRef[];
}

export type ExecuteVerb =
  '=' | '!=' | 'begins_with' | 'not_begins_with' | 'ends_with' | 'not_ends_with' | 'contains' | 'not_contains';

export interface ExecutePolicy {
  type: 'skip' | 'execute';
  match_rule?: 'all' | 'any';
  rules: { field: string; verb: ExecuteVerb | string; value: string }[];
}

export interface Job<S = unknown> {
  name: string;
  type: JobType;
  spec: S;
  skipped?: boolean;
  run_policy?: RunPolicy;
  error_policy?: ErrorPolicy;
  execute_policy?: ExecutePolicy;
  notify_ctls?: NotifyCtl[];
}

export interface FreestyleRepo {
  source?: string;
  codehost_id?: number;
  repo_owner?: string;
  repo_namespace?: string;
  repo_name: string;
  /** Clone URL (https, ssh or file://). Zadig resolves it from the code host; we also accept it inline. */
  address?: string;
  branch?: string;
  tag?: string;
  commit_id?: string;
  pr?: number;
  prs?: number[];
  checkout_path?: string;
  remote_name?: string;
}

export interface FreestyleSpec {
  freestyle_type?: '' | 'service_freestyle';
  script: string;
  script_type?: 'shell';
  repos?: FreestyleRepo[];
  envs?: KeyVal[];
  advanced_setting?: {
    /** minutes */
    timeout?: number;
    outputs?: { name: string; description?: string }[];
  };
}

export interface ApprovalSpec {
  /** minutes, default 60 */
  timeout?: number;
  type?: 'native';
  description?: string;
  native_approval: NativeApproval;
}

/** Zadig's NotificationJobSpec: a message sent from inside a run, on one channel. */
export interface NotificationSpec {
  source?: string;
  webhook_type: WebhookType;
  title: string;
  /** markdown; variables are rendered when the job starts */
  content: string;
  lark_hook_notification_config?: NotifyCtl['lark_hook_notification_config'];
  dingding_notification_config?: NotifyCtl['dingding_notification_config'];
  wechat_notification_config?: NotifyCtl['wechat_notification_config'];
  msteams_notification_config?: NotifyCtl['msteams_notification_config'];
  webhook_notification_config?: NotifyCtl['webhook_notification_config'];
  mail_notification_config?: {
    target_users?: (UserRef & { email?: string })[];
    dynamic_recipients?: string[];
  };
}

export interface WorkflowDefinition {
  name: string;
  display_name?: string;
  project: string;
  description?: string;
  category?: '' | 'release';
  disabled?: boolean;
  params?: Param[];
  stages: Stage[];
  notify_ctls?: NotifyCtl[];
  /** -1 (or 0/absent) = unlimited, N = at most N runs at once. */
  concurrency_limit?: number;
  /** Pre-`concurrency_limit` switch: false = one run at a time (limit 1), true = unlimited (-1). */
  multi_run?: boolean;
  remark_required?: boolean;
}

/** Zadig's config.Status values. */
export const STATUSES = [
  '',
  'disabled',
  'created',
  'running',
  'passed',
  'skipped',
  'failed',
  'timeout',
  'cancelled',
  'pause',
  'waiting',
  'queued',
  'blocked',
  'pending',
  'changed',
  'notRun',
  'prepare',
  'reject',
  'distributed',
  'wait_for_approval',
  'debug_before',
  'debug_after',
  'unstable',
  'wait_for_manual_error_handling',
] as const;

export type Status = (typeof STATUSES)[number];

export interface SpecIssue {
  /** JSON path, e.g. "stages[0].jobs[1].name" */
  path: string;
  message: string;
  /** 1-based line in the YAML/JSON source when known */
  line?: number;
}
