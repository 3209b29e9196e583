import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNotifier, type Notifier } from '@stagecoach/notifier';
import { createLogger, SecretBox } from '@stagecoach/platform';
import { chromiumBinary } from '@stagecoach/stack';
import { Engine, job, SECRET_KEY } from '@stagecoach/testkit';

const P = 'links';
let engine: Engine;
let notifier: Notifier;
let browser: Browser;
let gateway: string;
let hooks: Server;
let hooksUrl: string;
/** approval links the webhook channel received, per workflow and run number */
const received = new Map<string, { approver: string; url: string }[]>();
/** messages announcing an approval, per workflow and run number */
const announced = new Map<string, number>();
/** runs whose end was announced: by then the notifier has handled every earlier event of the run */
const ended = new Set<string>();
const runKey = (workflow: string, runNumber: number) => `${workflow}#${runNumber}`;

beforeAll(async () => {
  hooks = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const body = JSON.parse(raw);
      const key = runKey(body.workflow.workflow_name, body.workflow.task_id);
      if (body.notify_type === 'passed') ended.add(key);
      if (body.approval_links) {
        received.set(key, body.approval_links);
        announced.set(key, (announced.get(key) ?? 0) + 1);
      }
      res.writeHead(200).end('{}');
    });
  });
  await new Promise<void>((resolve) => hooks.listen(0, '127.0.0.1', resolve));
  hooksUrl = `http://127.0.0.1:${(hooks.address() as AddressInfo).port}/hook`;
  engine = await Engine.start();
  gateway = await engine.app.listen({ host: '127.0.0.1', port: 0 });
  notifier = await startNotifier({
    nc: engine.nc,
    db: engine.dbHandle.db,
    names: engine.names,
    logger: createLogger({ name: 'links-test', level: process.env.LOG_LEVEL ?? 'silent' }),
    // Links point at the gateway this test listens on, as STAGECOACH_PUBLIC_URL would.
    publicUrl: gateway,
    box: new SecretBox(SECRET_KEY),
  });
  browser = await chromium.launch({ executablePath: chromiumBinary(), args: ['--no-sandbox'] });
  for (const [name, needed] of [
    ['release', 1],
    ['two-keys', 2],
  ] as const)
    await defineRelease(name, needed);
});

/** Approval by ann or bob (`needed` of them) before the deploy. */
async function defineRelease(name: string, needed: number) {
  await engine.defineWorkflow({
    name,
    project: P,
    notify_ctls: [
      {
        webhook_type: 'webhook',
        notify_type: ['wait_for_approval', 'passed'],
        webhook_notification_config: { address: hooksUrl },
      },
    ],
    stages: [
      {
        name: 'approve',
        jobs: [
          {
            name: 'go-live',
            type: 'approval',
            spec: {
              native_approval: {
                approve_users: [
                  { type: 'user', user_name: 'ann' },
                  { type: 'user', user_name: 'bob' },
                ],
                needed_approvers: needed,
              },
            },
          },
        ],
      },
      { name: 'ship', jobs: [{ name: 'deploy', type: 'freestyle', spec: { script: 'echo shipped' } }] },
    ],
  });
}
afterAll(async () => {
  await browser?.close();
  await notifier?.stop();
  await engine?.stop();
  hooks?.close();
});

/** Posts the approval page's form to a link. */
function vote(link: string, form: string): Promise<Response> {
  return fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form });
}

async function linksOf(runNumber: number, workflow = 'release') {
  const key = runKey(workflow, runNumber);
  await expect.poll(() => received.get(key)?.length ?? 0, { timeout: 20_000 }).toBe(2);
  const links = received.get(key)!;
  return Object.fromEntries(links.map((l) => [l.approver, l.url])) as Record<'ann' | 'bob', string>;
}

/** Makes the projected approval job look as it does before the projector saw it wait. */
async function staleJob(runNumber: number) {
  await engine.dbHandle.db.execute(
    sql`UPDATE job_runs SET status = 'running', approval = NULL WHERE run_id = ${`${P}/release/${runNumber}`} AND job = 'go-live'`,
  );
}

describe('approval links', () => {
  it('open an approval page in a real browser; Approve signals the run; the link then refuses reuse', async () => {
    const n = await engine.startRun(P, 'release');
    const links = await linksOf(n);
    expect(links.ann.startsWith(`${gateway}/approvals/`)).toBe(true);

    const page = await browser.newPage();
    const opened = await page.goto(links.ann);
    expect(opened?.status()).toBe(200);
    expect(await page.textContent('h1')).toBe(`Approve release #${n}`);
    const body = await page.textContent('body');
    expect(body).toContain('you are ann');
    expect(body).toContain('waiting for approval');
    expect(await page.textContent('tr.next')).toContain('deploy');

    await page.fill('#comment', 'ship it <b>now</b>');
    await Promise.all([page.waitForNavigation(), page.click('button.approve')]);
    expect(await page.textContent('#message')).toBe('Recorded: ann approved.');

    const run = await engine.waitForStatus(P, 'release', n, 'passed');
    expect(job(run, 'deploy').status).toBe('passed');
    expect(job(run, 'go-live').approval.votes).toMatchObject([
      { user: 'ann', approve: true, comment: 'ship it <b>now</b>' },
    ]);

    // The same link again: used. Bob's, never used: the approval is over.
    const again = await page.goto(links.ann);
    expect(again?.status()).toBe(409);
    expect(await page.textContent('#message')).toBe('This approval link has already been used.');
    const late = await page.goto(links.bob);
    expect(late?.status()).toBe(410);
    await page.close();
  });

  it('show the votes so far while the approval waits for more, without announcing it again', async () => {
    const n = await engine.startRun(P, 'two-keys');
    const links = await linksOf(n, 'two-keys');
    const voted = await vote(links.ann, new URLSearchParams({ decision: 'approve', comment: 'fine by me' }).toString());
    expect(voted.status).toBe(200);
    const waiting = await engine.waitForRun(P, 'two-keys', n, (run) => job(run, 'go-live').approval.votes.length > 0);
    expect(job(waiting, 'go-live').status).toBe('wait_for_approval');
    const page = await fetch(links.bob);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<h2>Votes so far</h2><ul><li>ann: approved — fine by me</li></ul>');

    await vote(links.bob, 'decision=approve');
    const run = await engine.waitForStatus(P, 'two-keys', n, 'passed');
    expect(job(run, 'go-live').approval.votes.map((v: { user: string }) => v.user)).toEqual(['ann', 'bob']);
    // The vote was published as the job still waiting; the notifier announced the approval once.
    await expect.poll(() => ended.has(runKey('two-keys', n)), { timeout: 20_000 }).toBe(true);
    expect(announced.get(runKey('two-keys', n))).toBe(1);
  });

  it('stay usable when the run refused the vote they carried', async () => {
    const n = await engine.startRun(P, 'two-keys');
    const links = await linksOf(n, 'two-keys');
    await engine.waitForRun(P, 'two-keys', n, (run) => job(run, 'go-live').status === 'wait_for_approval');
    // ann votes through the API first; her link's vote is then refused by the run.
    const api = await engine.api(
      'POST',
      `/api/v1/projects/${P}/workflows/two-keys/runs/${n}/approvals`,
      { job: 'go-live', approve: true },
      { user: 'ann' },
    );
    expect(api.status).toBe(200);
    // Her page no longer offers a choice she has made.
    await expect.poll(async () => (await (await fetch(links.ann)).text()).includes('You approved already.')).toBe(true);
    expect(await (await fetch(links.ann)).text()).not.toContain('<form');
    const refused = await vote(links.ann, 'decision=reject');
    expect(refused.status).toBe(409);
    expect(await refused.text()).toContain('Not recorded');
    const [link] = (
      await engine.dbHandle.db.execute<{ used_at: Date | null }>(
        sql`SELECT used_at FROM approval_links WHERE run_id = ${`${P}/two-keys/${n}`} AND approver = 'ann'`,
      )
    ).rows;
    expect(link!.used_at).toBeNull();

    await vote(links.bob, 'decision=approve');
    await engine.waitForStatus(P, 'two-keys', n, 'passed');
    // Once the approval no longer waits, the unused link says so.
    const closed = await vote(links.ann, 'decision=approve');
    expect(closed.status).toBe(410);
  });

  it('work when followed before the projection shows the job waiting: the run itself is asked', async () => {
    const n = await engine.startRun(P, 'release');
    const links = await linksOf(n);
    // The projection as it is when the notifier is ahead of the projector; made so only after the
    // projector's own write, which would otherwise undo it.
    await engine.waitForRun(P, 'release', n, (run) => job(run, 'go-live').status === 'wait_for_approval');
    await staleJob(n);

    const opened = await fetch(links.ann);
    expect(opened.status).toBe(200);
    // The approver count comes from the run's answer: the stale row has no approval.
    expect(await opened.text()).toContain('waits for\n1 of 2 approvers');

    const approved = await vote(links.ann, 'decision=approve');
    expect(approved.status).toBe(200);
    expect(await approved.text()).toContain('Recorded: ann approved.');
    await engine.waitForStatus(P, 'release', n, 'passed');
  });

  it('stay closed when the run has ended, even while the projection still shows it running', async () => {
    const n = await engine.startRun(P, 'release');
    const links = await linksOf(n);
    await engine.waitForRun(P, 'release', n, (run) => job(run, 'go-live').status === 'wait_for_approval');
    // Terminated while waiting, the execution's last state still has the job waiting; the
    // projection is made to lag behind the end.
    await engine.temporal.workflow.getHandle(`${P}/release/${n}`).terminate('test: ended while waiting');
    await engine.dbHandle.db.execute(sql`UPDATE runs SET status = 'running' WHERE id = ${`${P}/release/${n}`}`);
    await staleJob(n);

    const opened = await fetch(links.ann);
    expect(opened.status).toBe(410);
    expect(await opened.text()).toContain('This approval is no longer waiting.');
  });

  it('refuse forged links, reject through a link, and store only token hashes', async () => {
    const n = await engine.startRun(P, 'release');
    const links = await linksOf(n);
    const forged = await fetch(`${gateway}/approvals/${'A'.repeat(43)}`);
    expect(forged.status).toBe(403);
    const garbled = await fetch(links.bob.slice(0, -2) + 'xx', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'decision=approve',
    });
    expect(garbled.status).toBe(403);
    const bad = await fetch(links.bob, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"decision":"maybe"}',
    });
    expect(bad.status).toBe(400);
    const misspelt = await fetch(links.bob, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"decision":"reject","coment":"typo"}',
    });
    expect(misspelt.status).toBe(400);
    expect(await misspelt.text()).toContain('coment');
    const text = await fetch(links.bob, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'approve' });
    expect(text.status).toBe(415);
    expect(await text.text()).toContain('application/x-www-form-urlencoded');

    const rejected = await vote(
      links.bob,
      new URLSearchParams({ decision: 'reject', comment: 'not today' }).toString(),
    );
    expect(rejected.status).toBe(200);
    const run = await engine.waitForStatus(P, 'release', n, 'reject');
    expect(job(run, 'go-live').approval.votes).toMatchObject([{ user: 'bob', approve: false, comment: 'not today' }]);
    expect((await fetch(links.ann)).status).toBe(410);

    const stored = await engine.dbHandle.db.execute<{ token_hash: string }>(
      sql`SELECT token_hash FROM approval_links WHERE run_id = ${`${P}/release/${n}`}`,
    );
    const tokens = Object.values(links).map((u) => u.split('/').at(-1)!);
    expect(stored.rows).toHaveLength(2);
    for (const row of stored.rows) {
      expect(row.token_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(tokens).not.toContain(row.token_hash);
    }
  });
});
