import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listWorkflowNotifications } from '@stagecoach/db';
import { startNotifier, type Notifier } from '@stagecoach/notifier';
import { createLogger, SecretBox } from '@stagecoach/platform';
import { startNats, type NatsServer } from '@stagecoach/stack';
import { Engine, SECRET_KEY } from '@stagecoach/testkit';

const RUNS = 30;
const P = 'natsrestart';
let nats: NatsServer;
let storeDir: string;
let engine: Engine;
let notifier: Notifier;
let hooks: Server;
/** every POST the channel received, by X-Stagecoach-Event-Id */
const posts: string[] = [];

beforeAll(async () => {
  hooks = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      posts.push(String(req.headers['x-stagecoach-event-id']));
      res.writeHead(200).end('{}');
    });
  });
  await new Promise<void>((resolve) => hooks.listen(0, '127.0.0.1', resolve));
  // A NATS server of this test's own, so restarting it disturbs no other test.
  storeDir = mkdtempSync(join(tmpdir(), 'sc-nats-restart-'));
  nats = await startNats({ storeDir });
  const shared = process.env.NATS_URL;
  process.env.NATS_URL = nats.url;
  try {
    engine = await Engine.start();
  } finally {
    process.env.NATS_URL = shared;
  }
  notifier = await startNotifier({
    nc: engine.nc,
    db: engine.dbHandle.db,
    names: engine.names,
    logger: createLogger({ name: 'nats-restart-test', level: process.env.LOG_LEVEL ?? 'silent' }),
    publicUrl: 'http://stagecoach.test',
    box: new SecretBox(SECRET_KEY),
  });
  await engine.defineWorkflow({
    name: 'ping',
    project: P,
    notify_ctls: [
      {
        webhook_type: 'webhook',
        notify_type: ['passed'],
        webhook_notification_config: { address: `http://127.0.0.1:${(hooks.address() as AddressInfo).port}/hook` },
      },
    ],
    stages: [{ name: 's', jobs: [{ name: 'j', type: 'freestyle', spec: { script: 'true' } }] }],
  });
});
afterAll(async () => {
  await notifier?.stop();
  await engine?.stop();
  await nats?.process.stop();
  hooks?.close();
  rmSync(storeDir, { recursive: true, force: true });
});

describe('notifier across a NATS restart', () => {
  it('delivers every run event exactly once when NATS restarts while runs are in flight', async () => {
    const started: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      started.push(await engine.startRun(P, 'ping'));
      if (i === RUNS / 3) {
        // Down and up again on the same port and store: publishers, the projector and the notifier reconnect.
        await nats.process.stop();
        await new Promise((r) => setTimeout(r, 1000));
        nats = await startNats({ storeDir, port: nats.port });
      }
    }
    await expect.poll(() => new Set(posts).size, { timeout: 120_000, interval: 500 }).toBe(RUNS);
    for (const n of started) await engine.waitForStatus(P, 'ping', n, 'passed');
    // Let any late redelivery arrive before counting duplicates.
    await new Promise((r) => setTimeout(r, 2000));
    expect(posts).toHaveLength(RUNS);
    const recorded = await listWorkflowNotifications(engine.dbHandle.db, {
      project: P,
      workflow: 'ping',
      limit: 200,
      offset: 0,
    });
    expect(recorded.total).toBe(RUNS);
    expect(recorded.rows.every((r) => r.notification.status === 'sent')).toBe(true);
  });
});
