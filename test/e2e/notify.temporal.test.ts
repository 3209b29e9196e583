import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listNotifications } from '@stagecoach/db';
import { createLogger, SecretBox } from '@stagecoach/platform';
import { startNotifier, type Notifier } from '@stagecoach/notifier';
import { Engine, historyText, SECRET_KEY } from '@stagecoach/testkit';

const FEISHU_SECRET = 'feishu-signing-secret';
const DING_SECRET = 'SECdingtalk-signing-secret';
const WEBHOOK_TOKEN = 'webhook-hmac-key';
const BAD_TOKEN = 'bad-endpoint-access-token-0123456789';
const PUBLIC_URL = 'http://stagecoach.public';

interface Received {
  channel: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: any;
  /** the vendor contract and signature checks passed */
  valid: boolean;
  reply: number;
}

const received: Received[] = [];
let server: Server;
let base: string;
let flakyCalls = 0;

const hmac = (key: string, msg: string, enc: 'base64' | 'hex') => createHmac('sha256', key).update(msg).digest(enc);
const same = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/**
 * One local server for every channel, each path checking what the vendor checks:
 * Feishu custom bot (body timestamp in seconds within an hour, sign = base64 HmacSHA256 keyed by
 * "timestamp\nsecret" over ""), DingTalk custom robot (URL timestamp in ms within an hour, sign =
 * base64 HmacSHA256 keyed by secret over "timestamp\nsecret"), WeCom group robot (markdown ≤ 4096
 * bytes), a generic webhook (sha256=<hex HMAC of the raw body>), a flaky and a refusing endpoint.
 */
function handle(
  path: string,
  url: URL,
  headers: IncomingMessage['headers'],
  raw: string,
): { channel: string; valid: boolean; status: number; reply: unknown } {
  let body: any;
  try {
    body = JSON.parse(raw);
  } catch {
    return { channel: 'unknown', valid: false, status: 400, reply: { error: 'not json' } };
  }
  const nowSec = Date.now() / 1000;
  if (path.startsWith('/feishu/')) {
    const ts = Number(body.timestamp);
    const ok =
      typeof body.timestamp === 'string' &&
      Math.abs(nowSec - ts) < 3600 &&
      typeof body.sign === 'string' &&
      same(body.sign, hmac(`${body.timestamp}\n${FEISHU_SECRET}`, '', 'base64')) &&
      ((body.msg_type === 'interactive' && typeof body.card === 'object') ||
        (body.msg_type === 'text' && body.content?.text));
    return {
      channel: 'feishu',
      valid: ok,
      status: 200,
      reply: ok
        ? { code: 0, msg: 'success', data: {} }
        : { code: 19021, msg: 'sign match fail or timestamp is not within one hour from current time' },
    };
  }
  if (path === '/dingtalk/robot/send') {
    const ts = url.searchParams.get('timestamp') ?? '';
    const sign = url.searchParams.get('sign') ?? '';
    const ok =
      url.searchParams.get('access_token') === 'ding-access-token' &&
      Math.abs(Date.now() - Number(ts)) < 3_600_000 &&
      same(sign, hmac(DING_SECRET, `${ts}\n${DING_SECRET}`, 'base64')) &&
      ['actionCard', 'markdown', 'text'].includes(body.msgtype) &&
      (body.msgtype !== 'actionCard' || (body.actionCard?.title && body.actionCard?.text));
    return {
      channel: 'dingding',
      valid: ok,
      status: 200,
      reply: ok ? { errcode: 0, errmsg: 'ok' } : { errcode: 310000, errmsg: 'sign not match' },
    };
  }
  if (path === '/wecom/webhook/send') {
    const ok =
      url.searchParams.get('key') === 'wecom-robot-key' &&
      body.msgtype === 'markdown' &&
      typeof body.markdown?.content === 'string' &&
      Buffer.byteLength(body.markdown.content) <= 4096;
    return {
      channel: 'wechat',
      valid: ok,
      status: 200,
      reply: ok ? { errcode: 0, errmsg: 'ok' } : { errcode: 40008, errmsg: 'invalid message type' },
    };
  }
  if (path.startsWith('/teams/webhookb2/')) {
    // Teams incoming webhook: a message with one Adaptive Card attachment; mentions need entities.
    const card = body.attachments?.[0];
    const content = card?.content;
    const ok =
      body.type === 'message' &&
      card?.contentType === 'application/vnd.microsoft.card.adaptive' &&
      content?.type === 'AdaptiveCard' &&
      Array.isArray(content.body) &&
      (content.msteams?.entities ?? []).every(
        (e: any) => e.type === 'mention' && content.body.some((b: any) => String(b.text).includes(e.text)),
      );
    return { channel: 'msteams', valid: ok, status: ok ? 200 : 400, reply: ok ? 1 : 'Bad payload' };
  }
  if (path === '/hooks/generic' || path === '/hooks/flaky') {
    const sig = String(headers['x-stagecoach-signature'] ?? '');
    const ok =
      same(sig, `sha256=${hmac(WEBHOOK_TOKEN, raw, 'hex')}`) && typeof headers['x-stagecoach-event-id'] === 'string';
    if (path === '/hooks/flaky' && flakyCalls++ === 0)
      return { channel: 'flaky', valid: ok, status: 503, reply: { error: 'warming up' } };
    return { channel: path === '/hooks/flaky' ? 'flaky' : 'webhook', valid: ok, status: ok ? 200 : 401, reply: {} };
  }
  if (path.startsWith('/hooks/refuse/')) {
    return { channel: 'refuse', valid: true, status: 400, reply: { error: `unknown hook ${path}` } };
  }
  return { channel: 'unknown', valid: false, status: 404, reply: {} };
}

const byCtlOf = <R extends { notifyType: string; ctl: string }>(rows: R[]) =>
  Object.fromEntries(rows.filter((r) => r.notifyType === 'passed').map((r) => [r.ctl, r]));

let engine: Engine;
let notifier: Notifier | undefined;
const logger = createLogger({ name: 'notifier-test', level: process.env.LOG_LEVEL ?? 'silent' });
const fastRetry = { maxAttempts: 3, baseDelayMs: 50, maxDelayMs: 200, timeoutMs: 5000 };
const start = async () =>
  startNotifier({
    nc: engine.nc,
    db: engine.dbHandle.db,
    names: engine.names,
    logger,
    publicUrl: PUBLIC_URL,
    box: new SecretBox(SECRET_KEY),
    retryPolicy: fastRetry,
  });

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://local');
      const r = handle(url.pathname, url, req.headers, raw);
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
      }
      received.push({
        channel: r.channel,
        path: url.pathname,
        headers: req.headers,
        body,
        valid: r.valid,
        reply: r.status,
      });
      res.writeHead(r.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(r.reply));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  engine = await Engine.start();
  notifier = await start();
});
afterAll(async () => {
  await notifier?.stop();
  await engine?.stop();
  await new Promise((resolve) => server?.close(resolve));
});

const of = (channel: string) => received.filter((r) => r.channel === channel);

async function until(what: string, probe: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what}; got ${JSON.stringify(received.map((r) => [r.channel, r.reply]))}`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('notifications end to end', () => {
  it('delivers each channel its events, signed, retrying 5xx, recording a 400, never twice', async () => {
    await engine.api('POST', '/api/v1/projects', { name: 'np', display_name: 'Notify Project' });
    await engine.defineWorkflow({
      name: 'notified',
      project: 'np',
      display_name: 'Notified WF',
      params: [{ name: 'fail', type: 'string', value: 'no' }],
      notify_ctls: [
        {
          enabled: true,
          webhook_type: 'feishu',
          notify_type: ['created', 'passed', 'failed'],
          lark_hook_notification_config: {
            hook_address: `${base}/feishu/hook/feishu-bot-token`,
            at_users: ['ou_a'],
            secret: FEISHU_SECRET,
          },
        },
        {
          webhook_type: 'dingding',
          notify_type: ['passed'],
          dingding_notification_config: {
            hook_address: `${base}/dingtalk/robot/send?access_token=ding-access-token`,
            at_mobiles: ['13800000000'],
            secret: DING_SECRET,
          },
        },
        {
          webhook_type: 'wechat',
          notify_type: ['changed'],
          wechat_notification_config: { hook_address: `${base}/wecom/webhook/send?key=wecom-robot-key` },
        },
        {
          webhook_type: 'webhook',
          notify_type: ['created', 'passed'],
          webhook_notification_config: { address: `${base}/hooks/generic`, token: WEBHOOK_TOKEN },
        },
        {
          webhook_type: 'webhook',
          notify_type: ['passed'],
          webhook_notification_config: { address: `${base}/hooks/flaky`, token: WEBHOOK_TOKEN },
        },
        {
          webhook_type: 'webhook',
          notify_type: ['passed'],
          webhook_notification_config: { address: `${base}/hooks/refuse/${BAD_TOKEN}`, token: 'x' },
        },
        {
          enabled: false,
          webhook_type: 'webhook',
          notify_type: ['passed'],
          webhook_notification_config: { address: `${base}/hooks/generic` },
        },
        {
          webhook_type: 'msteams',
          notify_type: ['passed'],
          msteams_notification_config: { hook_address: `${base}/teams/webhookb2/abc`, at_emails: ['ann@example.com'] },
        },
      ],
      stages: [
        {
          name: 'build',
          jobs: [
            {
              name: 'build',
              type: 'freestyle',
              spec: { script: 'echo building; test "{{.workflow.params.fail}}" != yes' },
              notify_ctls: [
                {
                  webhook_type: 'wechat',
                  notify_type: ['prepare', 'passed', 'failed'],
                  wechat_notification_config: {
                    hook_address: `${base}/wecom/webhook/send?key=wecom-robot-key`,
                    at_users: ['zhangsan'],
                  },
                },
              ],
            },
          ],
        },
      ],
    });

    const n = await engine.startRun('np', 'notified', {}, 'carol');
    expect((await engine.waitForStatus('np', 'notified', n, ['passed', 'failed'])).status).toBe('passed');
    await until(
      'first run deliveries',
      () =>
        of('feishu').length >= 2 &&
        of('dingding').length >= 1 &&
        of('wechat').length >= 2 &&
        of('webhook').length >= 2 &&
        of('flaky').length >= 2 &&
        of('msteams').length >= 1 &&
        of('refuse').length >= 1,
    );
    // The failure row is written right after the send; wait for every row to settle.
    const runId = `np/notified/${n}`;
    let rows = await listNotifications(engine.dbHandle.db, runId);
    for (let i = 0; i < 100 && rows.some((r) => r.status === 'sending'); i++) {
      await new Promise((r) => setTimeout(r, 50));
      rows = await listNotifications(engine.dbHandle.db, runId);
    }
    await new Promise((r) => setTimeout(r, 500));

    expect(received.every((r) => r.valid)).toBe(true);
    const link = `${PUBLIC_URL}/api/v1/projects/np/workflows/notified/runs/${n}`;

    const feishu = of('feishu');
    expect(feishu).toHaveLength(2);
    expect(feishu.map((r) => r.body.card.header.title.content)).toEqual([
      `🚀 Workflow Notified WF #${n} started`,
      `✅ Workflow Notified WF #${n} passed`,
    ]);
    const card = feishu[1]!.body.card;
    expect(card.elements[0].text.content).toContain('**Creator**: carol');
    expect(card.elements[0].text.content).toContain('- build: passed\n  - build: passed');
    expect(card.elements[0].text.content).toContain('<at id=ou_a></at>');
    expect(card.elements[1].actions[0].url).toBe(link);

    const ding = of('dingding');
    expect(ding).toHaveLength(1);
    expect(ding[0]!.body).toMatchObject({
      msgtype: 'actionCard',
      actionCard: { singleURL: link },
      at: { atMobiles: ['13800000000'], isAtAll: false },
    });
    expect(ding[0]!.body.actionCard.title).toBe(`✅ Workflow Notified WF #${n} passed`);

    // job-level WeCom ctl: prepare then passed; the workflow-level `changed` ctl is silent on a first run
    const wecom = of('wechat');
    expect(wecom).toHaveLength(2);
    expect(wecom.map((r) => r.body.markdown.content.split('\n')[0])).toEqual([
      `### 🚀 Job build of workflow Notified WF #${n} started`,
      `### ✅ Job build of workflow Notified WF #${n} passed`,
    ]);
    expect(wecom[1]!.body.markdown.content).toContain('<@zhangsan>');

    const hooks = of('webhook');
    expect(hooks).toHaveLength(2);
    expect(hooks.map((r) => r.body.notify_type)).toEqual(['created', 'passed']);
    expect(hooks.map((r) => r.headers['x-stagecoach-event-id'])).toEqual([`${runId}:created`, hooks[1]!.body.event_id]);
    expect(hooks[1]!.body.workflow).toMatchObject({
      task_id: n,
      project_display_name: 'Notify Project',
      status: 'passed',
      detail_url: link,
      task_creator: 'carol',
      // carol is no user of the directory: no address.
      task_creator_email: '',
    });
    const { create_time, start_time } = hooks[1]!.body.workflow;
    expect(create_time).toBeGreaterThan(0);
    expect(create_time).toBeLessThanOrEqual(start_time);

    const teams = of('msteams');
    expect(teams).toHaveLength(1);
    expect(teams[0]!.body.attachments[0].content.body[0].text).toBe(`✅ Workflow Notified WF #${n} passed`);
    expect(teams[0]!.body.attachments[0].content.actions[0].url).toBe(link);
    expect(byCtlOf(rows)['workflow:7']).toMatchObject({ status: 'sent', webhookType: 'msteams' });

    // 503 then 200: retried once; 400: tried once, failure recorded without the token in the address
    expect(of('flaky').map((r) => r.reply)).toEqual([503, 200]);
    expect(of('refuse').map((r) => r.reply)).toEqual([400]);
    const byCtl = byCtlOf(rows);
    expect(byCtl['workflow:4']).toMatchObject({ status: 'sent', attempts: 2 });
    expect(byCtl['workflow:5']).toMatchObject({ status: 'failed', attempts: 1 });
    expect(byCtl['workflow:5']!.error).toMatch(/^HTTP 400: /);
    expect(byCtl['workflow:5']!.error).not.toContain(BAD_TOKEN);
    expect(byCtl['workflow:6']).toBeUndefined();
    expect(rows.every((r) => r.status !== 'sending')).toBe(true);
    expect(JSON.stringify(rows)).not.toContain(FEISHU_SECRET);
    // The notifier reads notify_ctls from the run row: their secrets never entered Temporal.
    const history = await historyText(engine.temporal.workflow.getHandle(runId));
    expect(history).toContain('np/notified');
    for (const secret of [FEISHU_SECRET, 'feishu-bot-token', 'wecom-robot-key', BAD_TOKEN]) {
      expect(history).not.toContain(secret);
    }

    // Redelivery: a new notifier on a recreated durable consumer sees every event again and sends nothing.
    const before = received.length;
    await notifier!.stop();
    const jsm = await engine.nc.jetstreamManager();
    await jsm.consumers.delete(engine.names.eventsStream, 'notifier');
    notifier = await start();
    const info = async () => {
      const c = await jsm.consumers.info(engine.names.eventsStream, 'notifier');
      return c.num_ack_pending + c.num_pending;
    };
    const deadline = Date.now() + 15_000;
    while ((await info()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await info()).toBe(0);
    expect(received.length).toBe(before);

    // A second, failing run: `failed` to Feishu and the job ctl, and `changed` (passed → failed) to WeCom.
    const m = await engine.startRun('np', 'notified', { params: { fail: 'yes' } }, 'carol');
    expect((await engine.waitForStatus('np', 'notified', m, ['passed', 'failed'])).status).toBe('failed');
    await until('second run deliveries', () => of('feishu').length >= 4 && of('wechat').length >= 5);
    await new Promise((r) => setTimeout(r, 500));
    expect(
      of('feishu')
        .slice(2)
        .map((r) => r.body.card.header.title.content),
    ).toEqual([`🚀 Workflow Notified WF #${m} started`, `❌ Workflow Notified WF #${m} failed`]);
    expect(
      of('wechat')
        .slice(2)
        .map((r) => r.body.markdown.content.split('\n')[0]),
    ).toEqual(
      expect.arrayContaining([
        `### 🚀 Job build of workflow Notified WF #${m} started`,
        `### ❌ Job build of workflow Notified WF #${m} failed`,
        `### ❌ Workflow Notified WF #${m} failed`,
      ]),
    );
    expect(of('wechat')).toHaveLength(5);
    expect(of('dingding')).toHaveLength(1);
    expect(received.every((r) => r.valid)).toBe(true);
  });
});
