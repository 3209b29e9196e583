import type { StageResult } from '@stagecoach/contracts';
import type { NotifyType, Status } from '@stagecoach/spec';

/** Everything a message says about one event, gathered by the notifier from the event and the run row. */
export interface NotificationContext {
  eventId: string;
  level: 'workflow' | 'job';
  notifyType: NotifyType;
  project: string;
  workflow: string;
  workflowDisplayName: string;
  runNumber: number;
  /** The run's status (workflow level) or the job's (job level). */
  status: Status;
  creator: string;
  remark?: string;
  /** unix ms */
  startTime?: number;
  endTime?: number;
  error?: string;
  stages: StageResult[];
  job?: { name: string; stage?: string; status: Status; error?: string };
  /** The run's page (STAGECOACH_PUBLIC_URL based). */
  url: string;
}

const STATUS_TEXT: Partial<Record<string, { icon: string; text: string; color: string }>> = {
  created: { icon: '🚀', text: 'started', color: 'blue' },
  queued: { icon: '🚀', text: 'started', color: 'blue' },
  running: { icon: '🚀', text: 'started', color: 'blue' },
  passed: { icon: '✅', text: 'passed', color: 'green' },
  failed: { icon: '❌', text: 'failed', color: 'red' },
  timeout: { icon: '⏰', text: 'timed out', color: 'red' },
  cancelled: { icon: '🚫', text: 'cancelled', color: 'grey' },
  reject: { icon: '⛔', text: 'rejected', color: 'red' },
  pause: { icon: '⏸️', text: 'paused', color: 'orange' },
  wait_for_approval: { icon: '⌛', text: 'waiting for approval', color: 'orange' },
  wait_for_manual_error_handling: { icon: '⌛', text: 'waiting for manual error handling', color: 'orange' },
};

function statusInfo(status: Status): { icon: string; text: string; color: string } {
  return STATUS_TEXT[status] ?? { icon: 'ℹ️', text: status || 'pending', color: 'blue' };
}

/** `1h 2m 3s`; seconds only under a minute. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return [h ? `${h}h` : '', h || m ? `${m}m` : '', `${s}s`].filter(Boolean).join(' ');
}

/** Title: status icon + "Workflow <display name> #<n> <status text>" (job level names the job). */
export function messageTitle(ctx: NotificationContext): string {
  const { icon, text } = statusInfo(ctx.status);
  const subject = ctx.job && ctx.level === 'job' ? `Job ${ctx.job.name} of workflow` : 'Workflow';
  return `${icon} ${subject} ${ctx.workflowDisplayName} #${ctx.runNumber} ${text}`;
}

interface Line {
  label: string;
  value: string;
}

function fields(ctx: NotificationContext): Line[] {
  const lines: Line[] = [
    { label: 'Project', value: ctx.project },
    {
      label: 'Workflow',
      value: ctx.workflowDisplayName === ctx.workflow ? ctx.workflow : `${ctx.workflowDisplayName} (${ctx.workflow})`,
    },
    { label: 'Run', value: `#${ctx.runNumber}` },
    { label: 'Status', value: ctx.status },
    { label: 'Creator', value: ctx.creator },
  ];
  if (ctx.job && ctx.level === 'job') lines.push({ label: 'Job', value: `${ctx.job.name}: ${ctx.job.status}` });
  if (ctx.startTime !== undefined && ctx.endTime !== undefined) {
    lines.push({ label: 'Duration', value: formatDuration(ctx.endTime - ctx.startTime) });
  }
  if (ctx.remark) lines.push({ label: 'Remark', value: ctx.remark });
  const error = ctx.level === 'job' ? ctx.job?.error : ctx.error;
  if (error) lines.push({ label: 'Error', value: error });
  return lines;
}

function stageLines(ctx: NotificationContext, bullet: (depth: number) => string): string[] {
  const out: string[] = [];
  for (const stage of ctx.stages) {
    out.push(`${bullet(0)}${stage.name}: ${stage.status || 'not run'}`);
    for (const job of stage.jobs) out.push(`${bullet(1)}${job.name}: ${job.status || 'not run'}`);
  }
  return out;
}

/** Markdown body (without title or link): fields in bold, then each stage and job with its status. */
export function markdownBody(ctx: NotificationContext): string {
  const head = fields(ctx).map((l) => `**${l.label}**: ${l.value}`);
  const stages = stageLines(ctx, (d) => (d === 0 ? '- ' : '  - '));
  return [...head, '', '**Stages**', ...stages].join('\n');
}

/** Plain text: title, fields, stages, link. */
export function plainText(ctx: NotificationContext): string {
  const head = fields(ctx).map((l) => `${l.label}: ${l.value}`);
  const stages = stageLines(ctx, (d) => (d === 0 ? '- ' : '  - '));
  return [messageTitle(ctx), ...head, 'Stages:', ...stages, `Details: ${ctx.url}`].join('\n');
}

export interface Mentions {
  users?: string[];
  isAtAll?: boolean;
}

/** Feishu custom bot interactive card; mentions go into the card text as `<at id=...></at>`. */
export function buildFeishuMessage(ctx: NotificationContext, mentions: Mentions = {}): Record<string, unknown> {
  const at = [
    ...(mentions.users ?? []).map((u) => `<at id=${u}></at>`),
    ...(mentions.isAtAll ? ['<at id=all></at>'] : []),
  ];
  return {
    msg_type: 'interactive',
    card: {
      config: { wide_screen_mode: true },
      header: { template: statusInfo(ctx.status).color, title: { tag: 'plain_text', content: messageTitle(ctx) } },
      elements: [
        { tag: 'div', text: { tag: 'lark_md', content: markdownBody(ctx) + (at.length ? `\n\n${at.join(' ')}` : '') } },
        {
          tag: 'action',
          actions: [
            { tag: 'button', text: { tag: 'plain_text', content: 'View details' }, type: 'primary', url: ctx.url },
          ],
        },
      ],
    },
  };
}

/** DingTalk custom robot actionCard; mobiles are mentioned in the text and in `at`. */
export function buildDingTalkMessage(
  ctx: NotificationContext,
  mentions: { mobiles?: string[]; isAtAll?: boolean } = {},
): Record<string, unknown> {
  const mobiles = mentions.mobiles ?? [];
  const at = mobiles.map((m) => `@${m}`).join(' ');
  return {
    msgtype: 'actionCard',
    actionCard: {
      title: messageTitle(ctx),
      text: `### ${messageTitle(ctx)}\n\n${markdownBody(ctx)}${at ? `\n\n${at}` : ''}`,
      btnOrientation: '0',
      singleTitle: 'View details',
      singleURL: ctx.url,
    },
    at: { atMobiles: mobiles, isAtAll: mentions.isAtAll ?? false },
  };
}

/** WeCom group robot markdown; users are mentioned as `<@userid>`. */
export function buildWeComMessage(ctx: NotificationContext, mentions: Mentions = {}): Record<string, unknown> {
  const at = (mentions.users ?? []).map((u) => `<@${u}>`).join(' ');
  return {
    msgtype: 'markdown',
    markdown: {
      content: `### ${messageTitle(ctx)}\n${markdownBody(ctx)}\n[View details](${ctx.url})${at ? `\n${at}` : ''}`,
    },
  };
}

const unix = (ms: number | undefined) => (ms === undefined ? 0 : Math.floor(ms / 1000));

/** Generic webhook body, shaped like Zadig's workflow webhook payload (times in unix seconds). */
export function buildWebhookPayload(ctx: NotificationContext): Record<string, unknown> {
  return {
    object_kind: 'workflow',
    event: 'workflow',
    event_id: ctx.eventId,
    notify_type: ctx.notifyType,
    workflow: {
      task_id: ctx.runNumber,
      project_name: ctx.project,
      workflow_name: ctx.workflow,
      workflow_display_name: ctx.workflowDisplayName,
      status: ctx.status,
      remark: ctx.remark ?? '',
      detail_url: ctx.url,
      error: ctx.error ?? '',
      start_time: unix(ctx.startTime),
      end_time: unix(ctx.endTime),
      task_creator: ctx.creator,
      stages: ctx.stages.map((s) => ({
        name: s.name,
        status: s.status,
        start_time: unix(s.startTime),
        end_time: unix(s.endTime),
        jobs: s.jobs.map((j) => ({
          name: j.name,
          type: j.type,
          status: j.status,
          start_time: unix(j.startTime),
          end_time: unix(j.endTime),
          error: j.error ?? '',
        })),
      })),
    },
    ...(ctx.job && ctx.level === 'job' ? { job: { ...ctx.job, error: ctx.job.error ?? '' } } : {}),
  };
}
