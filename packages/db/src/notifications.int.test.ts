import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type DbHandle } from './client.js';
import {
  claimNotification,
  finishNotification,
  listNotifications,
  previousRunStatus,
} from './repos/notifications.repo.js';
import { insertRun } from './repos/runs.repo.js';
import { createTestDatabase, type TestDatabase } from './testing.js';

let testDb: TestDatabase;
let handle: DbHandle;
beforeAll(async () => {
  testDb = await createTestDatabase();
  handle = createDb(testDb.url);
});
afterAll(async () => {
  await handle?.close();
  await testDb?.drop();
});

describe('notifications repository', () => {
  it('claims once per (event, ctl), records the outcome, finds the previous run status', async () => {
    const db = handle.db;
    const claim = {
      eventId: 'p/w/2:0:5',
      ctl: 'workflow:0',
      runId: 'p/w/2',
      webhookType: 'feishu',
      notifyType: 'passed',
    };
    expect(await claimNotification(db, claim)).toBe(true);
    // Still `sending`: the earlier delivery died before recording the outcome, so it is sent again.
    expect(await claimNotification(db, claim)).toBe(true);
    expect(await claimNotification(db, { ...claim, ctl: 'workflow:1' })).toBe(true);
    await finishNotification(db, claim, { status: 'failed', attempts: 3, error: 'HTTP 503: ***' });
    // The outcome is recorded: a redelivered event sends nothing.
    expect(await claimNotification(db, claim)).toBe(false);
    const rows = await listNotifications(db, 'p/w/2');
    expect(rows.map((r) => [r.ctl, r.status, r.attempts, r.error])).toEqual([
      ['workflow:0', 'failed', 3, 'HTTP 503: ***'],
      ['workflow:1', 'sending', 0, null],
    ]);

    expect(await previousRunStatus(db, 'p', 'w', 1)).toBeUndefined();
    await insertRun(db, {
      project: 'p',
      workflow: 'w',
      runNumber: 1,
      creator: 'a',
      notifyCtls: { workflow: [{ webhook_type: 'wechat', notify_type: ['passed'] }], jobs: {} },
    });
    expect(await previousRunStatus(db, 'p', 'w', 3)).toBe('created');
  });
});
