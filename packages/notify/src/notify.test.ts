import { createHmac } from 'node:crypto';
import type { RunEvent } from '@stagecoach/contracts';
import type { NotifyCtl } from '@stagecoach/spec';
import { describe, expect, it } from 'vitest';
import {
  backoffDelay,
  customMessage,
  deliverMessage,
  prepareRequest,
  runMessage,
  DEFAULT_RETRY_POLICY,
  dingtalkSign,
  feishuSign,
  formatDuration,
  isRetryableStatus,
  notifyTypeOf,
  plainText,
  replyError,
  sendWithRetry,
  shouldNotify,
  webhookSignature,
  type NotificationContext,
  type PreparedRequest,
} from './index.js';

const event = (over: Partial<RunEvent>): RunEvent => ({
  runId: 'p/wf/3',
  seq: 1,
  retryNum: 0,
  project: 'p',
  workflow: 'wf',
  runNumber: 3,
  kind: 'run',
  status: 'running',
  time: 0,
  ...over,
});
const ctl = (notify_type: string[], over: Partial<NotifyCtl> = {}): NotifyCtl =>
  ({
    webhook_type: 'wechat',
    notify_type,
    wechat_notification_config: { hook_address: 'http://h/x' },
    ...over,
  }) as NotifyCtl;

const ctx: NotificationContext = {
  eventId: 'p/wf/3:0:9',
  level: 'workflow',
  notifyType: 'failed',
  project: 'p',
  workflow: 'wf',
  workflowDisplayName: 'My WF',
  runNumber: 3,
  status: 'failed',
  creator: 'alice',
  startTime: 1_000_000,
  endTime: 1_065_000,
  error: 'job build failed',
  stages: [
    { name: 'build', status: 'failed', jobs: [{ name: 'build', type: 'freestyle', status: 'failed' }] },
    { name: 'deploy', status: '', jobs: [{ name: 'deploy', type: 'freestyle', status: '' }] },
  ],
  url: 'http://sc.test/api/v1/projects/p/workflows/wf/runs/3',
};
const MD = [
  '**Project**: p',
  '**Workflow**: My WF (wf)',
  '**Run**: #3',
  '**Status**: failed',
  '**Creator**: alice',
  '**Duration**: 1m 5s',
  '**Error**: job build failed',
  '',
  '**Stages**',
  '- build: failed',
  '  - build: failed',
  '- deploy: not run',
  '  - deploy: not run',
].join('\n');
const TITLE = '❌ Workflow My WF #3 failed';

describe('shouldNotify', () => {
  it('maps run and job events to notify types', () => {
    expect(notifyTypeOf(event({ status: 'queued' }), 'workflow')).toBe('created');
    expect(notifyTypeOf(event({ status: 'running', retryNum: 1 }), 'workflow')).toBeUndefined();
    expect(notifyTypeOf(event({ status: 'pause' }), 'workflow')).toBe('pause');
    expect(notifyTypeOf(event({ kind: 'job', job: 'a', status: 'wait_for_approval' }), 'workflow')).toBe(
      'wait_for_approval',
    );
    expect(notifyTypeOf(event({ kind: 'job', job: 'a', status: 'passed' }), 'workflow')).toBeUndefined();
    expect(notifyTypeOf(event({ kind: 'job', job: 'a', status: 'running' }), 'job')).toBe('prepare');
    expect(notifyTypeOf(event({ kind: 'stage', status: 'passed' }), 'job')).toBeUndefined();
  });

  it('announces an approval once: a vote that leaves it waiting is no new approval', () => {
    const waiting = (votes: { user: string; approve: boolean; time: number }[]) =>
      event({
        kind: 'job',
        job: 'a',
        status: 'wait_for_approval',
        approval: { approvers: ['carol', 'dave'], neededApprovers: 2, votes },
      });
    expect(notifyTypeOf(waiting([]), 'workflow')).toBe('wait_for_approval');
    expect(notifyTypeOf(waiting([]), 'job')).toBe('wait_for_approval');
    const voted = waiting([{ user: 'carol', approve: true, time: 1 }]);
    expect(notifyTypeOf(voted, 'workflow')).toBeUndefined();
    expect(notifyTypeOf(voted, 'job')).toBeUndefined();
    expect(shouldNotify(ctl(['wait_for_approval']), voted, undefined)).toBe(false);
  });

  it('applies enabled, reject→failed and changed', () => {
    expect(shouldNotify(ctl(['passed']), event({ status: 'passed' }), undefined)).toBe(true);
    expect(shouldNotify(ctl(['passed'], { enabled: false }), event({ status: 'passed' }), undefined)).toBe(false);
    expect(shouldNotify(ctl(['failed']), event({ status: 'reject' }), undefined)).toBe(true);
    expect(shouldNotify(ctl(['failed']), event({ status: 'timeout' }), undefined)).toBe(false);
    expect(shouldNotify(ctl(['changed']), event({ status: 'passed' }), 'failed')).toBe(true);
    expect(shouldNotify(ctl(['changed']), event({ status: 'passed' }), 'passed')).toBe(false);
    expect(shouldNotify(ctl(['changed']), event({ status: 'passed' }), undefined)).toBe(false);
    expect(shouldNotify(ctl(['changed']), event({ status: 'pause' }), 'passed')).toBe(false);
    expect(shouldNotify(ctl(['created']), event({ status: 'running' }), undefined)).toBe(true);
    expect(shouldNotify(ctl(['failed']), event({ kind: 'job', job: 'a', status: 'reject' }), undefined, 'job')).toBe(
      true,
    );
    expect(
      shouldNotify(
        ctl(['wait_for_approval']),
        event({ kind: 'job', job: 'a', status: 'wait_for_approval' }),
        undefined,
        'workflow',
      ),
    ).toBe(true);
  });
});

describe('signers (vendor algorithms)', () => {
  it('feishu: HmacSHA256 keyed by "timestamp\\nsecret" over an empty message, base64', () => {
    expect(feishuSign('sec', 1700000000)).toBe(createHmac('sha256', '1700000000\nsec').digest('base64'));
  });
  it('dingtalk: HmacSHA256 keyed by secret over "timestamp\\nsecret", base64', () => {
    expect(dingtalkSign('sec', 1700000000000)).toBe(
      createHmac('sha256', 'sec').update('1700000000000\nsec').digest('base64'),
    );
  });
  it('webhook: sha256=<hex> over the raw body', () => {
    expect(webhookSignature('k', '{"a":1}')).toBe(
      `sha256=${createHmac('sha256', 'k').update('{"a":1}').digest('hex')}`,
    );
  });
});

/** The request a run notification makes for this ctl. */
const requestFor = (ctl: NotifyCtl, c: NotificationContext, nowMs: number) => prepareRequest(ctl, runMessage(c), nowMs);

describe('message builders', () => {
  it('formats durations', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(65_000)).toBe('1m 5s');
    expect(formatDuration(3_600_000 + 2_000)).toBe('1h 0m 2s');
  });

  it('feishu: signed interactive card with mentions', () => {
    const req = requestFor(
      {
        webhook_type: 'feishu',
        notify_type: ['failed'],
        lark_hook_notification_config: {
          hook_address: 'http://f/hook/abc',
          at_users: ['ou_1'],
          is_at_all: true,
          secret: 'fs',
        },
      },
      ctx,
      1_700_000_000_999,
    )!;
    expect(req.url).toBe('http://f/hook/abc');
    expect(JSON.parse(req.body)).toEqual({
      timestamp: '1700000000',
      sign: feishuSign('fs', 1700000000),
      msg_type: 'interactive',
      card: {
        config: { wide_screen_mode: true },
        header: { template: 'red', title: { tag: 'plain_text', content: TITLE } },
        elements: [
          { tag: 'div', text: { tag: 'lark_md', content: `${MD}\n\n<at id=ou_1></at> <at id=all></at>` } },
          {
            tag: 'action',
            actions: [
              { tag: 'button', text: { tag: 'plain_text', content: 'View details' }, type: 'primary', url: ctx.url },
            ],
          },
        ],
      },
    });
    expect(req.secrets).toContain('fs');
  });

  it('msteams: an Adaptive Card with mention entities and a link action', () => {
    const req = requestFor(
      {
        webhook_type: 'msteams',
        notify_type: ['failed'],
        msteams_notification_config: { hook_address: 'http://t/webhookb2/abc', at_emails: ['ann@example.com'] },
      },
      ctx,
      0,
    )!;
    expect(req.channel).toBe('msteams');
    const card = JSON.parse(req.body).attachments[0];
    expect(card.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(card.content.body.map((b: { text: string }) => b.text)).toEqual([TITLE, MD, '<at>ann@example.com</at>']);
    expect(card.content.actions).toEqual([{ type: 'Action.OpenUrl', title: 'View details', url: ctx.url }]);
    expect(card.content.msteams.entities).toEqual([
      {
        type: 'mention',
        text: '<at>ann@example.com</at>',
        mentioned: { id: 'ann@example.com', name: 'ann@example.com' },
      },
    ]);
    expect(replyError('msteams', '')).toBeUndefined();
  });

  it('dingding: actionCard, signature on the URL, mobiles mentioned', () => {
    const req = requestFor(
      {
        webhook_type: 'dingding',
        notify_type: ['failed'],
        dingding_notification_config: {
          hook_address: 'http://d/robot/send?access_token=tok123',
          at_mobiles: ['13800000000'],
          secret: 'ds',
        },
      },
      ctx,
      1_700_000_000_999,
    )!;
    expect(req.url).toBe(
      `http://d/robot/send?access_token=tok123&timestamp=1700000000999&sign=${encodeURIComponent(dingtalkSign('ds', 1700000000999))}`,
    );
    expect(JSON.parse(req.body)).toEqual({
      msgtype: 'actionCard',
      actionCard: {
        title: TITLE,
        text: `### ${TITLE}\n\n${MD}\n\n@13800000000`,
        btnOrientation: '0',
        singleTitle: 'View details',
        singleURL: ctx.url,
      },
      at: { atMobiles: ['13800000000'], isAtAll: false },
    });
    expect(req.secrets).toEqual(expect.arrayContaining(['ds', 'tok123']));
  });

  it('wechat: markdown with <@userid> mentions', () => {
    const req = requestFor(
      {
        webhook_type: 'wechat',
        notify_type: ['failed'],
        wechat_notification_config: { hook_address: 'http://w/send?key=k-123456', at_users: ['zhangsan'] },
      },
      ctx,
      0,
    )!;
    expect(JSON.parse(req.body)).toEqual({
      msgtype: 'markdown',
      markdown: { content: `### ${TITLE}\n${MD}\n[View details](${ctx.url})\n<@zhangsan>` },
    });
  });

  it('webhook: Zadig-shaped JSON, HMAC header over the exact body, event id header', () => {
    const req = requestFor(
      {
        webhook_type: 'webhook',
        notify_type: ['failed'],
        webhook_notification_config: { address: 'http://x/hook', token: 'wk' },
      },
      ctx,
      0,
    )!;
    expect(req.headers['X-Stagecoach-Signature']).toBe(webhookSignature('wk', req.body));
    expect(req.headers['X-Stagecoach-Event-Id']).toBe('p/wf/3:0:9');
    expect(JSON.parse(req.body)).toEqual({
      object_kind: 'workflow',
      event: 'workflow',
      event_id: 'p/wf/3:0:9',
      notify_type: 'failed',
      workflow: {
        task_id: 3,
        project_name: 'p',
        project_display_name: 'p',
        workflow_name: 'wf',
        workflow_display_name: 'My WF',
        status: 'failed',
        remark: '',
        detail_url: ctx.url,
        error: 'job build failed',
        create_time: 0,
        start_time: 1000,
        end_time: 1065,
        task_creator: 'alice',
        task_creator_email: '',
        stages: [
          {
            name: 'build',
            status: 'failed',
            start_time: 0,
            end_time: 0,
            error: '',
            jobs: [
              {
                name: 'build',
                display_name: 'build',
                type: 'freestyle',
                status: 'failed',
                start_time: 0,
                end_time: 0,
                error: '',
              },
            ],
          },
          {
            name: 'deploy',
            status: '',
            start_time: 0,
            end_time: 0,
            error: '',
            jobs: [
              {
                name: 'deploy',
                display_name: 'deploy',
                type: 'freestyle',
                status: '',
                start_time: 0,
                end_time: 0,
                error: '',
              },
            ],
          },
        ],
      },
    });
  });

  it('webhook: the project display name, creation time and creator address when known', () => {
    const known = { ...ctx, projectDisplayName: 'Payments', createTime: 999_500, creatorEmail: 'alice@example.com' };
    const req = requestFor(
      { webhook_type: 'webhook', notify_type: ['failed'], webhook_notification_config: { address: 'http://x/hook' } },
      known,
      0,
    )!;
    expect(JSON.parse(req.body).workflow).toMatchObject({
      project_name: 'p',
      project_display_name: 'Payments',
      create_time: 999,
      task_creator_email: 'alice@example.com',
    });
  });

  it('plain text and unsupported channels', () => {
    expect(plainText(ctx).split('\n')[0]).toBe(TITLE);
    expect(plainText(ctx)).toContain(`Details: ${ctx.url}`);
    expect(requestFor({ webhook_type: 'mail', notify_type: ['failed'] }, ctx, 0)).toBeUndefined();
  });
});

describe('sendWithRetry', () => {
  const req: PreparedRequest = {
    channel: 'wechat',
    url: 'http://w/send?key=SECRETKEY123',
    headers: {},
    body: '{}',
    secrets: ['http://w/send?key=SECRETKEY123', 'SECRETKEY123'],
  };
  const policy = { ...DEFAULT_RETRY_POLICY, maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 250 };
  function scripted(replies: (Response | Error)[]) {
    const calls: string[] = [];
    const fetchFn = (async (url: string) => {
      calls.push(url);
      const next = replies.shift()!;
      if (next instanceof Error) throw next;
      return next;
    }) as unknown as typeof fetch;
    return { calls, fetchFn };
  }
  const ok = () => new Response('{"errcode":0,"errmsg":"ok"}', { status: 200 });

  it('backoff doubles and is capped; retryable statuses', () => {
    expect([1, 2, 3, 4].map((n) => backoffDelay(policy, n))).toEqual([100, 200, 250, 250]);
    expect(backoffDelay(policy, 1, 200)).toBe(200);
    expect([undefined, 500, 503, 429].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 404].some(isRetryableStatus)).toBe(false);
  });

  it('retries network errors, 5xx and 429, then succeeds', async () => {
    const sleeps: number[] = [];
    const { calls, fetchFn } = scripted([
      new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } }),
      new Response('oops', { status: 502 }),
      new Response('slow down', { status: 429 }),
      ok(),
    ]);
    const r = await sendWithRetry(req, { fetch: fetchFn, sleep: async (ms) => void sleeps.push(ms), policy });
    expect(r).toEqual({ ok: true, attempts: 4, status: 200 });
    expect(calls).toHaveLength(4);
    expect(sleeps).toEqual([100, 200, 250]);
  });

  it('does not retry a 400 nor a vendor error code, and masks secrets', async () => {
    const a = scripted([new Response('bad key SECRETKEY123', { status: 400 }), ok()]);
    const r = await sendWithRetry(req, { fetch: a.fetchFn, sleep: async () => {}, policy });
    expect(r).toEqual({ ok: false, attempts: 1, status: 400, error: 'HTTP 400: bad key ***' });
    const b = scripted([new Response('{"errcode":93000,"errmsg":"invalid webhook url"}', { status: 200 }), ok()]);
    const r2 = await sendWithRetry(req, { fetch: b.fetchFn, sleep: async () => {}, policy });
    expect(r2).toEqual({ ok: false, attempts: 1, status: 200, error: 'wechat errcode 93000: invalid webhook url' });
  });

  it('gives up after maxAttempts', async () => {
    const { calls, fetchFn } = scripted([1, 2, 3, 4].map(() => new Response('down', { status: 503 })));
    const r = await sendWithRetry(req, { fetch: fetchFn, sleep: async () => {}, policy });
    expect(r).toEqual({ ok: false, attempts: 4, status: 503, error: 'HTTP 503: down' });
    expect(calls).toHaveLength(4);
  });
});

describe('deliverMessage', () => {
  it('names the empty address of a ctl whose address rendered empty, sending nothing', async () => {
    let sent = 0;
    const ctl = { webhook_type: 'webhook', notify_type: [], webhook_notification_config: { address: '' } } as NotifyCtl;
    const result = await deliverMessage(
      ctl,
      customMessage({ title: 't', content: 'c', eventId: 'e', project: 'p', workflow: 'w', runNumber: 1, job: 'j' }),
      {
        fetch: (async () => {
          sent++;
          return new Response('{}');
        }) as typeof fetch,
      },
    );
    expect(result).toMatchObject({
      ok: false,
      error: 'no address: webhook_notification_config.address is empty (a variable it names may have had no value)',
    });
    expect(sent).toBe(0);
  });
});
