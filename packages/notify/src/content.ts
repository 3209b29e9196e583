import type { StageResult } from '@stagecoach/contracts';
import type { NotifyType, Status } from '@stagecoach/spec';

/** Everything a message says about one event, gathered by the notifier from the event and the run row. */
export interface NotificationContext {
  eventId: string;
  level: 'workflow' | 'job';
  notifyType: NotifyType;
  project: string;
  /** The project's display name (absent: its key) */
  projectDisplayName?: string;
  workflow: string;
  workflowDisplayName: string;
  runNumber: number;
  /** when the run was created, unix ms */
  createTime?: number;
  /** The run's status (workflow level) or the job's (job level). */
  status: Status;
  creator: string;
  /** the creator's address in the user directory, when they have one */
  creatorEmail?: string;
  remark?: string;
  /** unix ms */
  startTime?: number;
  endTime?: number;
  error?: string;
  stages: StageResult[];
  job?: { name: string; stage?: string; status: Status; error?: string };
  /** The run's page (STAGECOACH_PUBLIC_URL based). */
  url: string;
  /** While an approval waits: each approver's personal approval page. */
  approvalLinks?: { approver: string; url: string }[];
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
  const links = (ctx.approvalLinks ?? []).map((l) => `- ${l.approver}: [approve or reject](${l.url})`);
  return [...head, '', '**Stages**', ...stages, ...(links.length ? ['', '**Approvers**', ...links] : [])].join('\n');
}

/** Plain text: title, fields, stages, link. */
export function plainText(ctx: NotificationContext): string {
  const head = fields(ctx).map((l) => `${l.label}: ${l.value}`);
  const stages = stageLines(ctx, (d) => (d === 0 ? '- ' : '  - '));
  const links = (ctx.approvalLinks ?? []).map((l) => `- ${l.approver}: ${l.url}`);
  return [
    messageTitle(ctx),
    ...head,
    'Stages:',
    ...stages,
    ...(links.length ? ['Approve or reject (each link is personal):', ...links] : []),
    `Details: ${ctx.url}`,
  ].join('\n');
}

/**
 * What every channel renders: a run notification (runMessage) and a `notification` job's own title
 * and content (customMessage) are both one of these, so they share the channels' formats and senders.
 */
export interface Message {
  title: string;
  /** markdown body, without the title and the link */
  markdown: string;
  /** plain-text body, without the title */
  text: string;
  /** the run's page: a button or link where the channel has one */
  url?: string;
  /** Feishu card header template */
  color: string;
  /** the generic webhook's JSON body */
  payload: Record<string, unknown>;
  /** X-Stagecoach-Event-Id / X-Stagecoach-Event of the generic webhook */
  eventId: string;
  event: string;
  /**
   * While an approval waits, for channels that reach people one by one: each approver's copy with
   * only their own link, and the copy for everyone else, with none.
   */
  personal?: { approver: string; message: Message }[];
  withoutLinks?: Message;
}

export function runMessage(ctx: NotificationContext): Message {
  const links = ctx.approvalLinks ?? [];
  if (links.length === 0) return baseMessage(ctx);
  return {
    ...baseMessage(ctx),
    personal: links.map((link) => ({
      approver: link.approver,
      message: baseMessage({ ...ctx, approvalLinks: [link] }),
    })),
    withoutLinks: baseMessage({ ...ctx, approvalLinks: [] }),
  };
}

function baseMessage(ctx: NotificationContext): Message {
  return {
    title: messageTitle(ctx),
    markdown: markdownBody(ctx),
    text: plainText(ctx).split('\n').slice(1).join('\n'),
    url: ctx.url,
    color: statusInfo(ctx.status).color,
    payload: buildWebhookPayload(ctx),
    eventId: ctx.eventId,
    event: ctx.notifyType,
  };
}

export interface CustomMessageInput {
  title: string;
  content: string;
  eventId: string;
  project: string;
  workflow: string;
  runNumber: number;
  job: string;
  url?: string;
}

/** A `notification` job's message: its title and (markdown) content as the author wrote them. */
export function customMessage(input: CustomMessageInput): Message {
  return {
    title: input.title,
    markdown: input.content,
    text: input.content,
    url: input.url,
    color: 'blue',
    payload: {
      object_kind: 'notification',
      event: 'notification',
      event_id: input.eventId,
      title: input.title,
      content: input.content,
      workflow: {
        project_name: input.project,
        workflow_name: input.workflow,
        task_id: input.runNumber,
        detail_url: input.url ?? '',
      },
      job: { name: input.job },
    },
    eventId: input.eventId,
    event: 'notification',
  };
}

export interface Mentions {
  users?: string[];
  isAtAll?: boolean;
}

/** Feishu custom bot interactive card; mentions go into the card text as `<at id=...></at>`. */
export function feishuCard(msg: Message, mentions: Mentions = {}): Record<string, unknown> {
  const at = [
    ...(mentions.users ?? []).map((u) => `<at id=${u}></at>`),
    ...(mentions.isAtAll ? ['<at id=all></at>'] : []),
  ];
  const button = msg.url
    ? [
        {
          tag: 'action',
          actions: [
            { tag: 'button', text: { tag: 'plain_text', content: 'View details' }, type: 'primary', url: msg.url },
          ],
        },
      ]
    : [];
  return {
    msg_type: 'interactive',
    card: {
      config: { wide_screen_mode: true },
      header: { template: msg.color, title: { tag: 'plain_text', content: msg.title } },
      elements: [
        { tag: 'div', text: { tag: 'lark_md', content: msg.markdown + (at.length ? `\n\n${at.join(' ')}` : '') } },
        ...button,
      ],
    },
  };
}

/** DingTalk custom robot: an actionCard with a link button, markdown without one; mobiles mentioned in text and `at`. */
export function dingTalkMessage(
  msg: Message,
  mentions: { mobiles?: string[]; isAtAll?: boolean } = {},
): Record<string, unknown> {
  const mobiles = mentions.mobiles ?? [];
  const at = mobiles.map((m) => `@${m}`).join(' ');
  const text = `### ${msg.title}\n\n${msg.markdown}${at ? `\n\n${at}` : ''}`;
  const body = msg.url
    ? {
        msgtype: 'actionCard',
        actionCard: { title: msg.title, text, btnOrientation: '0', singleTitle: 'View details', singleURL: msg.url },
      }
    : { msgtype: 'markdown', markdown: { title: msg.title, text } };
  return { ...body, at: { atMobiles: mobiles, isAtAll: mentions.isAtAll ?? false } };
}

/** WeCom group robot markdown; users are mentioned as `<@userid>`. */
export function weComMessage(msg: Message, mentions: Mentions = {}): Record<string, unknown> {
  const at = (mentions.users ?? []).map((u) => `<@${u}>`).join(' ');
  const link = msg.url ? `\n[View details](${msg.url})` : '';
  return {
    msgtype: 'markdown',
    markdown: { content: `### ${msg.title}\n${msg.markdown}${link}${at ? `\n${at}` : ''}` },
  };
}

/**
 * Microsoft Teams incoming webhook (Workflows or connector): an Adaptive Card whose people in
 * `at_emails` are mentioned with `<at>` entities.
 */
export function teamsCard(msg: Message, emails: string[] = []): Record<string, unknown> {
  const mentions = emails.map((e) => ({ type: 'mention', text: `<at>${e}</at>`, mentioned: { id: e, name: e } }));
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [
            { type: 'TextBlock', text: msg.title, weight: 'Bolder', size: 'Medium', wrap: true },
            { type: 'TextBlock', text: msg.markdown, wrap: true },
            ...(mentions.length
              ? [{ type: 'TextBlock', text: mentions.map((m) => m.text).join(' '), wrap: true }]
              : []),
          ],
          ...(msg.url ? { actions: [{ type: 'Action.OpenUrl', title: 'View details', url: msg.url }] } : {}),
          ...(mentions.length ? { msteams: { entities: mentions } } : {}),
        },
      },
    ],
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
      project_display_name: ctx.projectDisplayName ?? ctx.project,
      workflow_name: ctx.workflow,
      workflow_display_name: ctx.workflowDisplayName,
      status: ctx.status,
      remark: ctx.remark ?? '',
      detail_url: ctx.url,
      error: ctx.error ?? '',
      create_time: unix(ctx.createTime),
      start_time: unix(ctx.startTime),
      end_time: unix(ctx.endTime),
      task_creator: ctx.creator,
      task_creator_email: ctx.creatorEmail ?? '',
      stages: ctx.stages.map((s) => ({
        name: s.name,
        status: s.status,
        start_time: unix(s.startTime),
        end_time: unix(s.endTime),
        // Zadig fills a stage's own error only when the stage could not start its jobs; ours never fails so.
        error: '',
        jobs: s.jobs.map((j) => ({
          name: j.name,
          // Zadig's is `job-svc-module` for jobs it expands per service; none of ours expands.
          display_name: j.name,
          type: j.type,
          status: j.status,
          start_time: unix(j.startTime),
          end_time: unix(j.endTime),
          error: j.error ?? '',
        })),
      })),
    },
    ...(ctx.job && ctx.level === 'job' ? { job: { ...ctx.job, error: ctx.job.error ?? '' } } : {}),
    ...(ctx.approvalLinks ? { approval_links: ctx.approvalLinks } : {}),
  };
}
