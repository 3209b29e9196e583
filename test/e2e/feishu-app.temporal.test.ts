import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { listNotifications } from '@stagecoach/db';
import { createLogger, SecretBox } from '@stagecoach/platform';
import { startNotifier, type Notifier } from '@stagecoach/notifier';
import { Engine, job, SECRET_KEY } from '@stagecoach/testkit';

const APP_ID = 'cli_a1b2c3d4e5';
const APP_SECRET = 'feishu-app-secret-0123456789';
const PUBLIC_URL = 'http://stagecoach.public';
const P = 'lark';

interface Sent {
  receiveIdType: string;
  receiveId: string;
  uuid: string;
  card: any;
}

/**
 * Feishu's Open API as an app sees it: auth/v3/tenant_access_token/internal (app_id + app_secret →
 * token, code 10014 for a wrong secret) and im/v1/messages (Bearer token, receive_id_type in the
 * query, `content` a JSON string, `uuid` ≤ 50 characters de-duplicating for an hour). A token can be
 * revoked to act out its expiry: Feishu then answers HTTP 400 with code 99991663.
 */
class FeishuOpenApi {
  readonly sent: Sent[] = [];
  tokenRequests = 0;
  private readonly live = new Set<string>();
  private readonly byUuid = new Map<string, string>();
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://local');
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
        const [status, reply] = this.handle(url, req.headers.authorization ?? '', body);
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(reply));
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  revokeTokens(): void {
    this.live.clear();
  }

  private handle(url: URL, authorization: string, body: any): [number, unknown] {
    if (url.pathname === '/open-apis/auth/v3/tenant_access_token/internal') {
      this.tokenRequests++;
      if (body.app_id !== APP_ID || body.app_secret !== APP_SECRET)
        return [200, { code: 10014, msg: 'app secret invalid' }];
      const token = `t-${randomBytes(12).toString('hex')}`;
      this.live.add(token);
      return [200, { code: 0, msg: 'ok', tenant_access_token: token, expire: 7200 }];
    }
    if (url.pathname === '/open-apis/im/v1/messages') {
      const token = authorization.replace(/^Bearer /, '');
      if (!this.live.has(token)) return [400, { code: 99991663, msg: 'Invalid access token for authorization.' }];
      const receiveIdType = url.searchParams.get('receive_id_type') ?? '';
      const valid =
        ['open_id', 'user_id', 'union_id', 'email', 'chat_id'].includes(receiveIdType) &&
        typeof body.receive_id === 'string' &&
        body.msg_type === 'interactive' &&
        typeof body.content === 'string' &&
        typeof body.uuid === 'string' &&
        body.uuid.length <= 50;
      if (!valid) return [400, { code: 230001, msg: 'invalid request' }];
      const card = JSON.parse(body.content);
      if (!card.header || !Array.isArray(card.elements)) return [400, { code: 230099, msg: 'card content failed' }];
      const known = this.byUuid.get(body.uuid);
      if (known) return [200, { code: 0, msg: 'success', data: { message_id: known } }];
      const messageId = `om_${randomBytes(8).toString('hex')}`;
      this.byUuid.set(body.uuid, messageId);
      this.sent.push({ receiveIdType, receiveId: body.receive_id, uuid: body.uuid, card });
      return [200, { code: 0, msg: 'success', data: { message_id: messageId } }];
    }
    return [404, { code: 404, msg: 'not found' }];
  }
}

const feishu = new FeishuOpenApi();
let engine: Engine;
let notifier: Notifier | undefined;
const PASSWORD = 'a long enough password';

beforeAll(async () => {
  await feishu.start();
  engine = await Engine.start();
  notifier = await startNotifier({
    nc: engine.nc,
    db: engine.dbHandle.db,
    names: engine.names,
    logger: createLogger({ name: 'notifier-test', level: process.env.LOG_LEVEL ?? 'silent' }),
    publicUrl: PUBLIC_URL,
    box: new SecretBox(SECRET_KEY),
    retryPolicy: { maxAttempts: 3, baseDelayMs: 50, maxDelayMs: 200, timeoutMs: 5000 },
  });
  for (const username of ['ann', 'bob']) {
    const made = await engine.api('POST', '/api/v1/users', {
      username,
      password: PASSWORD,
      email: `${username}@example.com`,
    });
    expect(made.status).toBe(201);
  }
});
afterAll(async () => {
  await notifier?.stop();
  await engine?.stop();
  await feishu.stop();
});

const text = (card: any): string => JSON.stringify(card.elements);
const linksIn = (card: any): string[] => text(card).match(/\/approvals\/[A-Za-z0-9_-]+/g) ?? [];

describe('Feishu app notifications', () => {
  it('registers apps for system admins only, never returning the secret', async () => {
    const body = {
      id: 'ops-bot',
      kind: 'lark',
      name: 'Ops bot',
      app_id: APP_ID,
      app_secret: APP_SECRET,
      base_url: feishu.url,
    };
    const made = await engine.api('POST', '/api/v1/im-apps', body);
    expect(made.status).toBe(201);
    expect(made.text).not.toContain(APP_SECRET);
    expect(made.body).toMatchObject({ id: 'ops-bot', app_id: APP_ID, base_url: feishu.url });
    expect((await engine.api('POST', '/api/v1/im-apps', body)).status).toBe(409);
    const bad = await engine.api('POST', '/api/v1/im-apps', { ...body, id: 'x y', kind: 'slack' });
    expect(bad.status).toBe(400);
    expect(bad.body.issues.map((i: { path: string }) => i.path).sort()).toEqual(['body.id', 'body.kind']);
    const listed = await engine.api('GET', '/api/v1/im-apps');
    expect(listed.text).not.toContain(APP_SECRET);
    // The secret is stored sealed.
    const stored = await engine.dbHandle.db.execute<{ s: string }>(
      sql`SELECT app_secret_sealed AS s FROM im_apps WHERE id = 'ops-bot'`,
    );
    expect(stored.rows[0]!.s).not.toContain(APP_SECRET);
  });

  it('DMs each approver their own link, the watchers none, and posts to the group when done', async () => {
    await engine.defineWorkflow({
      name: 'release',
      project: P,
      notify_ctls: [
        {
          webhook_type: 'feishu_person',
          notify_type: ['wait_for_approval'],
          lark_person_notification_config: {
            app_id: 'ops-bot',
            target_users: [{ id: 'ou_watcher', id_type: 'open_id' }],
          },
        },
        {
          webhook_type: 'feishu_app',
          notify_type: ['passed'],
          lark_group_notification_config: {
            app_id: 'ops-bot',
            chat: { chat_id: 'oc_team', chat_name: 'Team' },
            at_users: [{ id: 'ou_lead', id_type: 'open_id' }],
            dynamic_recipients: ['workflow.params.user_id'],
          },
        },
      ],
      params: [{ name: 'user_id', type: 'string', value: 'u_oncall' }],
      stages: [
        {
          name: 'approve',
          jobs: [
            {
              name: 'approve',
              type: 'approval',
              spec: {
                native_approval: { approve_users: [{ user_name: 'ann' }, { user_name: 'bob' }], needed_approvers: 1 },
              },
            },
          ],
        },
        { name: 'ship', jobs: [{ name: 'ship', type: 'freestyle', spec: { script: 'echo shipped' } }] },
      ],
    });
    const n = await engine.startRun(P, 'release');
    await engine.waitForRun(P, 'release', n, (r) => job(r, 'approve').status === 'wait_for_approval');
    await expect.poll(() => feishu.sent.length, { timeout: 15_000 }).toBe(3);

    const to = (id: string) => feishu.sent.find((s) => s.receiveId === id)!;
    expect(to('ann@example.com').receiveIdType).toBe('email');
    const annLinks = linksIn(to('ann@example.com').card);
    const bobLinks = linksIn(to('bob@example.com').card);
    expect(annLinks).toHaveLength(1);
    expect(bobLinks).toHaveLength(1);
    expect(annLinks[0]).not.toBe(bobLinks[0]);
    expect(text(to('ann@example.com').card)).not.toContain('bob');
    expect(to('ou_watcher').receiveIdType).toBe('open_id');
    expect(linksIn(to('ou_watcher').card)).toEqual([]);
    expect(feishu.tokenRequests).toBe(1);

    // Ann's link, from her DM, decides the approval.
    feishu.revokeTokens(); // the cached token has expired by the time the run ends
    const decided = await engine.app.inject({
      method: 'POST',
      url: annLinks[0]!,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ decision: 'approve' }),
    });
    expect(decided.statusCode).toBe(200);
    const run = await engine.waitForStatus(P, 'release', n, 'passed');
    expect(job(run, 'approve').approval.votes.map((v: { user: string }) => v.user)).toEqual(['ann']);

    await expect.poll(() => feishu.sent.length, { timeout: 15_000 }).toBe(4);
    const group = feishu.sent[3]!;
    expect(group).toMatchObject({ receiveIdType: 'chat_id', receiveId: 'oc_team' });
    expect(text(group.card)).toContain('<at id=ou_lead></at>');
    expect(text(group.card)).toContain('<at id=u_oncall></at>');
    // The expired token was noticed (HTTP 400, code 99991663) and replaced once.
    expect(feishu.tokenRequests).toBe(2);
    // The record follows the POST.
    await expect
      .poll(async () => (await listNotifications(engine.dbHandle.db, `${P}/release/${n}`)).map((r) => r.status))
      .toEqual(['sent', 'sent']);
  });

  it('sends a notification job through the app', async () => {
    await engine.defineWorkflow({
      name: 'announce',
      project: P,
      stages: [
        {
          name: 's',
          jobs: [
            {
              name: 'tell',
              type: 'notification',
              spec: {
                webhook_type: 'feishu_app',
                lark_group_notification_config: { app_id: 'ops-bot', chat: { chat_id: 'oc_jobs' } },
                title: 'Run {{.workflow.task.id}} is out',
                content: 'Shipped by **{{.workflow.task.creator}}**',
              },
            },
          ],
        },
      ],
    });
    const n = await engine.startRun(P, 'announce');
    const run = await engine.waitForStatus(P, 'announce', n, ['passed', 'failed']);
    expect(job(run, 'tell').status).toBe('passed');
    const sent = feishu.sent.find((s) => s.receiveId === 'oc_jobs')!;
    expect(sent.card.header.title.content).toBe(`Run ${n} is out`);
    expect(text(sent.card)).toContain('Shipped by **alice**');
  });

  it('records a failure naming an unknown app, and never shows the app secret', async () => {
    await engine.defineWorkflow({
      name: 'orphan',
      project: P,
      notify_ctls: [
        {
          webhook_type: 'feishu_app',
          notify_type: ['passed'],
          lark_group_notification_config: { app_id: 'no-such-app', chat: { chat_id: 'oc_team' } },
        },
      ],
      stages: [{ name: 's', jobs: [{ name: 'j', type: 'freestyle', spec: { script: 'true' } }] }],
    });
    const n = await engine.startRun(P, 'orphan');
    await engine.waitForStatus(P, 'orphan', n, 'passed');
    await expect
      .poll(
        async () => (await listNotifications(engine.dbHandle.db, `${P}/orphan/${n}`)).map((r) => [r.status, r.error]),
        {
          timeout: 15_000,
        },
      )
      .toEqual([['failed', 'IM app "no-such-app" is not registered (/api/v1/im-apps)']]);

    await engine.api('PUT', '/api/v1/im-apps/ops-bot', { app_secret: 'the-wrong-secret-9876543210' });
    await engine.defineWorkflow({
      name: 'wrong-secret',
      project: P,
      notify_ctls: [
        {
          webhook_type: 'feishu_person',
          notify_type: ['passed'],
          lark_person_notification_config: { app_id: 'ops-bot', target_users: ['ou_watcher'] },
        },
      ],
      stages: [{ name: 's', jobs: [{ name: 'j', type: 'freestyle', spec: { script: 'true' } }] }],
    });
    feishu.revokeTokens();
    const m = await engine.startRun(P, 'wrong-secret');
    await engine.waitForStatus(P, 'wrong-secret', m, 'passed');
    await expect
      .poll(async () => (await listNotifications(engine.dbHandle.db, `${P}/wrong-secret/${m}`))[0]?.error, {
        timeout: 15_000,
      })
      .toBe('open_id ou_watcher: feishu token code 10014: app secret invalid');
  });
});
