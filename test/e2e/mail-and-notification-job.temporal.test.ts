import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listNotifications } from '@stagecoach/db';
import { createMailer, type Mailer } from '@stagecoach/notify';
import { startNotifier, type Notifier } from '@stagecoach/notifier';
import { createLogger, SecretBox } from '@stagecoach/platform';
import { Engine, historyText, job, SECRET_KEY } from '@stagecoach/testkit';

const SMTP_USER = 'mailer';
const SMTP_PASS = 'smtp-password-123';
const HOOK_TOKEN = 'notification-job-hmac-key';
const P = 'mail';

interface Received {
  from: string;
  to: string[];
  mail: ParsedMail;
}

let smtp: SMTPServer;
let smtpPort: number;
const mails: Received[] = [];
/** RCPT TO answers per address: a queue of SMTP codes to answer before accepting. */
const rcptFailures = new Map<string, number[]>();

let hooks: Server;
let hooksUrl: string;
const posts: { path: string; body: any; valid: boolean }[] = [];

let engine: Engine;
let notifier: Notifier;
let mailer: Mailer;

beforeAll(async () => {
  // A real SMTP server (the nodemailer project's): AUTH PLAIN/LOGIN checked, recipients and data captured.
  smtp = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    onAuth(auth, _session, cb) {
      if (auth.username === SMTP_USER && auth.password === SMTP_PASS) return cb(null, { user: SMTP_USER });
      return cb(new Error('Invalid username or password'));
    },
    onRcptTo(address, _session, cb) {
      const queue = rcptFailures.get(address.address);
      const code = queue?.shift();
      if (code) return cb(Object.assign(new Error(`mailbox unavailable (${code})`), { responseCode: code }));
      cb();
    },
    onData(stream, session, cb) {
      void simpleParser(stream).then((mail) => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          mail,
        });
        cb();
      }, cb);
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  smtpPort = (smtp.server.address() as AddressInfo).port;
  mailer = createMailer({
    url: `smtp://${SMTP_USER}:${SMTP_PASS}@127.0.0.1:${smtpPort}`,
    from: 'Stagecoach <ci@stagecoach.test>',
  });

  // The generic webhook contract: sha256=<hex HMAC of the raw body> in X-Stagecoach-Signature.
  hooks = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const valid =
        req.headers['x-stagecoach-signature'] ===
        `sha256=${createHmac('sha256', HOOK_TOKEN).update(raw).digest('hex')}`;
      posts.push({ path: req.url ?? '', body: JSON.parse(raw), valid });
      res.writeHead(req.url === '/refuse' ? 400 : valid ? 200 : 401).end('{}');
    });
  });
  await new Promise<void>((resolve) => hooks.listen(0, '127.0.0.1', resolve));
  hooksUrl = `http://127.0.0.1:${(hooks.address() as AddressInfo).port}`;

  engine = await Engine.start({ mailer });
  notifier = await startNotifier({
    nc: engine.nc,
    db: engine.dbHandle.db,
    names: engine.names,
    logger: createLogger({ name: 'mail-test', level: process.env.LOG_LEVEL ?? 'silent' }),
    publicUrl: 'http://stagecoach.test',
    box: new SecretBox(SECRET_KEY),
    mailer,
    retryPolicy: { maxAttempts: 3, baseDelayMs: 50, maxDelayMs: 200, timeoutMs: 5000 },
  });
  await engine.api('POST', '/api/v1/projects', { name: P });
});
afterAll(async () => {
  await notifier?.stop();
  await engine?.stop();
  mailer?.transport.close();
  await new Promise<void>((resolve) => smtp?.close(() => resolve()));
  hooks?.close();
});

/** A workflow of one notification job, `tell`, sending `title` by webhook. */
function defineWebhookNotice(
  name: string,
  config: { address: string; token: string },
  title: string,
  params: Record<string, unknown>[] = [],
) {
  return engine.defineWorkflow({
    name,
    project: P,
    params,
    stages: [
      {
        name: 'tell',
        jobs: [
          {
            name: 'tell',
            type: 'notification',
            spec: { webhook_type: 'webhook', webhook_notification_config: config, title, content: 'c' },
          },
        ],
      },
    ],
  });
}

describe('notification jobs', () => {
  it('send their rendered title and content by webhook and by mail, with upstream outputs', async () => {
    await engine.defineWorkflow({
      name: 'announce',
      project: P,
      params: [{ name: 'ENV', type: 'string', value: 'staging' }],
      stages: [
        {
          name: 'build',
          jobs: [
            {
              name: 'build',
              type: 'freestyle',
              spec: { script: 'VERSION=1.4.2', advanced_setting: { outputs: [{ name: 'VERSION' }] } },
            },
          ],
        },
        {
          name: 'tell',
          parallel: true,
          jobs: [
            {
              name: 'tell-hook',
              type: 'notification',
              spec: {
                webhook_type: 'webhook',
                webhook_notification_config: { address: `${hooksUrl}/release`, token: HOOK_TOKEN },
                title: 'Release {{.job.build.output.VERSION}}',
                content: 'Run {{.workflow.task.id}} ships {{.job.build.output.VERSION}} to {{.workflow.params.ENV}}',
              },
            },
            {
              name: 'tell-mail',
              type: 'notification',
              spec: {
                webhook_type: 'mail',
                mail_notification_config: {
                  target_users: [{ type: 'user', user_name: 'ann', email: 'ann@example.com' }],
                },
                title: 'Release {{.job.build.output.VERSION}} <ready>',
                content: 'Deployed to **{{.workflow.params.ENV}}**',
              },
            },
          ],
        },
      ],
    });
    const n = await engine.startRun(P, 'announce');
    const run = await engine.waitForStatus(P, 'announce', n, ['passed', 'failed']);
    expect(run.status).toBe('passed');
    expect(job(run, 'tell-mail').status).toBe('passed');

    const post = posts.find((p) => p.path === '/release')!;
    expect(post.valid).toBe(true);
    expect(post.body).toMatchObject({
      object_kind: 'notification',
      title: 'Release 1.4.2',
      content: `Run ${n} ships 1.4.2 to staging`,
      workflow: {
        project_name: P,
        workflow_name: 'announce',
        task_id: n,
        detail_url: `http://stagecoach.test/api/v1/projects/${P}/workflows/announce/runs/${n}`,
      },
      job: { name: 'tell-hook' },
    });
    const mail = mails.find((m) => m.mail.subject === 'Release 1.4.2 <ready>')!;
    expect(mail.to).toEqual(['ann@example.com']);
    expect(mail.from).toBe('ci@stagecoach.test');
    expect(mail.mail.text).toContain('Deployed to **staging**');
    // The HTML part escapes what it quotes.
    expect(mail.mail.html).toContain('<h2>Release 1.4.2 &lt;ready&gt;</h2>');
    const logs = await engine.api('GET', `/api/v1/projects/${P}/workflows/announce/runs/${n}/jobs/tell-mail/logs`);
    expect(logs.text).toContain('delivered in 1 attempt(s)');
    // The hook's address and signing key were sealed when the run started: Temporal never held them.
    const history = await historyText(engine.temporal.workflow.getHandle(`${P}/announce/${n}`));
    expect(history).toContain('tell-hook');
    expect(history).not.toContain(`${hooksUrl}/release`);
    expect(history).not.toContain(HOOK_TOKEN);
  });

  it('mail dynamic_recipients resolved from params and the outputs of earlier jobs', async () => {
    await engine.defineWorkflow({
      name: 'dyn-job',
      project: P,
      params: [{ name: 'owner_email', type: 'string', value: 'lead@example.com' }],
      stages: [
        {
          name: 'build',
          jobs: [
            {
              name: 'build',
              type: 'freestyle',
              spec: {
                script: 'COMMITTER_EMAIL=coder@example.com',
                advanced_setting: { outputs: [{ name: 'COMMITTER_EMAIL' }] },
              },
            },
          ],
        },
        {
          name: 'tell',
          jobs: [
            {
              name: 'tell',
              type: 'notification',
              spec: {
                webhook_type: 'mail',
                mail_notification_config: {
                  dynamic_recipients: ['{{.job.build.output.COMMITTER_EMAIL}}', 'workflow.params.owner_email'],
                },
                title: 'Built for {{.job.build.output.COMMITTER_EMAIL}}',
                content: 'done',
              },
            },
          ],
        },
      ],
    });
    const n = await engine.startRun(P, 'dyn-job');
    const run = await engine.waitForStatus(P, 'dyn-job', n, ['passed', 'failed']);
    expect(job(run, 'tell')).toMatchObject({ status: 'passed' });
    const mail = mails.find((m) => m.mail.subject === 'Built for coder@example.com')!;
    expect(mail.to.sort()).toEqual(['coder@example.com', 'lead@example.com']);
  });

  it('fill in a credential param where the author wrote it, and show it masked in their log', async () => {
    await defineWebhookNotice(
      'keyed',
      { address: `${hooksUrl}/keyed`, token: '{{.workflow.params.KEY}}' },
      'signed with {{.workflow.params.KEY}}',
      [{ name: 'KEY', type: 'string', value: HOOK_TOKEN, is_credential: true }],
    );
    const n = await engine.startRun(P, 'keyed');
    const run = await engine.waitForStatus(P, 'keyed', n, ['passed', 'failed']);
    expect(job(run, 'tell').status).toBe('passed');
    const post = posts.find((p) => p.path === '/keyed')!;
    expect(post.valid).toBe(true);
    expect(post.body.title).toBe(`signed with ${HOOK_TOKEN}`);
    const logs = await engine.api('GET', `/api/v1/projects/${P}/workflows/keyed/runs/${n}/jobs/tell/logs`);
    expect(logs.text).toContain('sending "signed with ***" by webhook');
    expect(logs.text).not.toContain(HOOK_TOKEN);
  });

  it("fill a run's notify_ctls with the credential params they name when they are sent, never storing them", async () => {
    await engine.defineWorkflow({
      name: 'ctl-keyed',
      project: P,
      params: [{ name: 'KEY', type: 'string', value: HOOK_TOKEN, is_credential: true }],
      notify_ctls: [
        {
          webhook_type: 'webhook',
          notify_type: ['passed'],
          webhook_notification_config: {
            address: `${hooksUrl}/ctl-keyed/{{.workflow.params.KEY}}`,
            token: '{{.workflow.params.KEY}}',
          },
        },
      ],
      stages: [{ name: 's', jobs: [{ name: 'j', type: 'freestyle', spec: { script: 'true' } }] }],
    });
    const n = await engine.startRun(P, 'ctl-keyed');
    await engine.waitForStatus(P, 'ctl-keyed', n, 'passed');
    await expect
      .poll(() => posts.find((p) => p.path.startsWith('/ctl-keyed/'))?.path, { timeout: 20_000 })
      .toBe(`/ctl-keyed/${HOOK_TOKEN}`);
    expect(posts.find((p) => p.path.startsWith('/ctl-keyed/'))!.valid).toBe(true);
    const [row] = (
      await engine.dbHandle.db.execute<{ ctls: string }>(
        sql`SELECT notify_ctls::text AS ctls FROM runs WHERE id = ${`${P}/ctl-keyed/${n}`}`,
      )
    ).rows;
    expect(row!.ctls).toContain('/ctl-keyed/{{.secret-');
    expect(row!.ctls).not.toContain(HOOK_TOKEN);
  });

  it('fail with the reason when the channel refuses, never showing the hook token', async () => {
    await defineWebhookNotice('refused', { address: `${hooksUrl}/refuse`, token: HOOK_TOKEN }, 't');
    const run = await engine.waitForStatus(P, 'refused', await engine.startRun(P, 'refused'), 'failed');
    expect(job(run, 'tell').error).toBe('notification not delivered: HTTP 400: {}');
    expect(JSON.stringify(run)).not.toContain(HOOK_TOKEN);
  });

  it('are validated like notify_ctls when the workflow is saved', async () => {
    const res = await engine.api('PUT', `/api/v1/projects/${P}/workflows/bad-note`, {
      name: 'bad-note',
      project: P,
      stages: [{ name: 's', jobs: [{ name: 'n', type: 'notification', spec: { webhook_type: 'mail', title: 't' } }] }],
    });
    expect(res.status).toBe(400);
    expect(res.body.issues.map((i: any) => i.path)).toEqual([
      'stages[0].jobs[0].spec.content',
      'stages[0].jobs[0].spec.mail_notification_config',
    ]);
  });
});

describe('mail notify_ctls', () => {
  it('add dynamic_recipients resolved from params and job outputs when the message goes out', async () => {
    await engine.defineWorkflow({
      name: 'dyn-mailed',
      project: P,
      params: [{ name: 'owner_email', type: 'string', value: 'owner@example.com' }],
      notify_ctls: [
        {
          webhook_type: 'mail',
          notify_type: ['passed'],
          mail_notification_config: {
            dynamic_recipients: ['{{.job.build.output.COMMITTER_EMAIL}}', 'workflow.params.owner_email'],
          },
        },
      ],
      stages: [
        {
          name: 's',
          jobs: [
            {
              name: 'build',
              type: 'freestyle',
              spec: {
                script: 'COMMITTER_EMAIL=dev@example.com',
                advanced_setting: { outputs: [{ name: 'COMMITTER_EMAIL' }] },
              },
            },
          ],
        },
      ],
    });
    const n = await engine.startRun(P, 'dyn-mailed');
    await engine.waitForStatus(P, 'dyn-mailed', n, 'passed');
    await expect
      .poll(() => mails.find((m) => m.mail.subject === `✅ Workflow dyn-mailed #${n} passed`)?.to.sort(), {
        timeout: 15_000,
      })
      .toEqual(['dev@example.com', 'owner@example.com']);
  });

  it('add dynamic_recipients from the payload of the webhook that started the run', async () => {
    await engine.defineWorkflow({
      name: 'dyn-payload',
      project: P,
      notify_ctls: [
        {
          webhook_type: 'mail',
          notify_type: ['passed'],
          mail_notification_config: { dynamic_recipients: ['payload.author.email'] },
        },
      ],
      stages: [{ name: 's', jobs: [{ name: 'build', type: 'freestyle', spec: { script: 'true' } }] }],
    });
    const created = await engine.api('POST', `/api/v1/projects/${P}/workflows/dyn-payload/triggers/general`, {
      name: 'release',
      secret: 'payload-token',
    });
    expect(created.status).toBe(201);
    const fired = await engine.deliver(
      new URL(created.body.hook_url).pathname,
      JSON.stringify({ author: { email: 'pusher@example.com' } }),
      { authorization: 'Bearer payload-token' },
    );
    const n = fired.body.results[0].run_number as number;
    await engine.waitForStatus(P, 'dyn-payload', n, 'passed');
    await expect
      .poll(() => mails.find((m) => m.mail.subject === `✅ Workflow dyn-payload #${n} passed`)?.to, { timeout: 15_000 })
      .toEqual(['pusher@example.com']);
  });

  it('take recipients from run variables, filled in when the run starts', async () => {
    await engine.defineWorkflow({
      name: 'owner-mailed',
      project: P,
      params: [{ name: 'OWNER', type: 'string', value: 'nobody@example.com' }],
      notify_ctls: [
        {
          webhook_type: 'mail',
          notify_type: ['passed'],
          mail_notification_config: { target_users: [{ type: 'user', email: '{{.workflow.params.OWNER}}' }] },
        },
      ],
      stages: [{ name: 's', jobs: [{ name: 'j', type: 'freestyle', spec: { script: 'true' } }] }],
    });
    const n = await engine.startRun(P, 'owner-mailed', { params: { OWNER: 'zed@example.com' } });
    await engine.waitForStatus(P, 'owner-mailed', n, 'passed');
    await expect.poll(() => mails.filter((m) => m.to.includes('zed@example.com')).length, { timeout: 15_000 }).toBe(1);
    expect(mails.some((m) => m.to.includes('nobody@example.com'))).toBe(false);
  });

  it('reach the run creator (task_creator) and users named without an address through the user directory', async () => {
    for (const [username, email] of [
      ['olga', 'olga@example.com'],
      ['pete', 'pete@example.com'],
    ]) {
      const made = await engine.api('POST', '/api/v1/users', { username, email, password: 'directory-password-1' });
      expect(made.status).toBe(201);
    }
    await engine.defineWorkflow({
      name: 'directory-mailed',
      project: P,
      notify_ctls: [
        {
          webhook_type: 'mail',
          notify_type: ['passed'],
          mail_notification_config: { target_users: [{ type: 'task_creator' }, { type: 'user', user_name: 'pete' }] },
        },
      ],
      stages: [{ name: 's', jobs: [{ name: 'j', type: 'freestyle', spec: { script: 'true' } }] }],
    });
    const n = await engine.startRun(P, 'directory-mailed', {}, 'olga');
    await engine.waitForStatus(P, 'directory-mailed', n, 'passed');
    await expect
      .poll(() => mails.find((m) => m.mail.subject?.includes('directory-mailed'))?.to.sort(), { timeout: 15_000 })
      .toEqual(['olga@example.com', 'pete@example.com']);
  });

  it('mail each recipient when the run ends, retrying a transient 4xx and recording a permanent 5xx', async () => {
    rcptFailures.set('busy@example.com', [451]);
    rcptFailures.set('gone@example.com', [550, 550, 550]);
    await engine.defineWorkflow({
      name: 'mailed',
      project: P,
      notify_ctls: [
        {
          webhook_type: 'mail',
          notify_type: ['passed'],
          mail_notification_config: { target_users: [{ type: 'user', email: 'busy@example.com' }] },
        },
        {
          webhook_type: 'mail',
          notify_type: ['passed'],
          mail_notification_config: { target_users: [{ type: 'user', email: 'gone@example.com' }] },
        },
      ],
      stages: [{ name: 's', jobs: [{ name: 'j', type: 'freestyle', spec: { script: 'true' } }] }],
    });
    const n = await engine.startRun(P, 'mailed');
    await engine.waitForStatus(P, 'mailed', n, 'passed');
    const runId = `${P}/mailed/${n}`;
    await expect
      .poll(
        // Both ctls are sent concurrently: compare in ctl order.
        async () =>
          (await listNotifications(engine.dbHandle.db, runId)).map((r) => [r.ctl, r.status, r.attempts]).sort(),
        {
          timeout: 20_000,
        },
      )
      .toEqual([
        ['workflow:0', 'sent', 2],
        ['workflow:1', 'failed', 1],
      ]);
    const failed = (await listNotifications(engine.dbHandle.db, runId)).find((r) => r.ctl === 'workflow:1')!;
    expect(failed.error).toMatch(/^SMTP 550: /);
    expect(failed.error).not.toContain(SMTP_PASS);
    const mail = mails.find((m) => m.to.includes('busy@example.com'))!;
    expect(mail.mail.subject).toBe(`✅ Workflow mailed #${n} passed`);
    expect(mail.mail.text).toContain(`http://stagecoach.test/api/v1/projects/${P}/workflows/mailed/runs/${n}`);
    expect(rcptFailures.get('gone@example.com')).toEqual([550, 550]);

    // Failures are listed through the gateway, per run and per workflow.
    const perRun = await engine.api('GET', `/api/v1/projects/${P}/workflows/mailed/runs/${n}/notifications`);
    expect(perRun.body.map((r: any) => [r.ctl, r.webhook_type, r.notify_type, r.status]).sort()).toEqual([
      ['workflow:0', 'mail', 'passed', 'sent'],
      ['workflow:1', 'mail', 'passed', 'failed'],
    ]);
    const failures = await engine.api('GET', `/api/v1/projects/${P}/workflows/mailed/notifications?status=failed`);
    expect(failures.body).toMatchObject({
      total: 1,
      notifications: [{ run_number: n, ctl: 'workflow:1', attempts: 1 }],
    });
    expect(failures.body.notifications[0].error).toMatch(/^SMTP 550: /);
    expect((await engine.api('GET', `/api/v1/projects/${P}/workflows/nope/notifications`)).status).toBe(404);
  });
});
