import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkflowDefinition } from '@stagecoach/spec';
import { ConflictError, NotFoundError, SecretBox } from '@stagecoach/platform';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, withTransaction, type DbHandle, type Tx } from './client.js';
import { MIGRATIONS_FOLDER, migrateDatabase } from './migrate.js';
import { createProject, getProject, listProjects } from './repos/projects.repo.js';
import { loadRunSecrets, storeRunSecrets } from './repos/run-secrets.repo.js';
import { getRun, insertRun, insertRunTakingNumber, listJobRuns, listRuns } from './repos/runs.repo.js';
import {
  deleteWorkflow,
  getWorkflow,
  getWorkflowVersion,
  listWorkflows,
  listWorkflowVersions,
  lockWorkflowToRun,
  upsertWorkflow,
} from './repos/workflows.repo.js';
import { createTestDatabase, type TestDatabase } from './testing.js';

function definition(name: string, script = 'echo hi'): WorkflowDefinition {
  return {
    name,
    project: 'demo',
    display_name: `Display ${name}`,
    concurrency_limit: 2,
    stages: [{ name: 'build', jobs: [{ name: 'compile', type: 'freestyle', spec: { script } }] }],
  };
}

let testDb: TestDatabase;
let handle: DbHandle;

beforeAll(async () => {
  testDb = await createTestDatabase();
  handle = createDb(testDb.url);
  await createProject(handle.db, { name: 'demo', displayName: 'Demo' });
});

afterAll(async () => {
  await handle?.close();
  await testDb?.drop();
});

describe('migrations', () => {
  it('apply on a fresh database and are idempotent', async () => {
    const tables = await handle.db.execute<{ table_name: string }>(
      sql`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
    );
    expect(tables.rows.map((r) => r.table_name)).toEqual([
      'approval_links',
      'audit_log',
      'clusters',
      'credentials',
      'im_apps',
      'job_runs',
      'login_failures',
      'notifications',
      'project_members',
      'projects',
      'run_secrets',
      'runs',
      'trigger_deliveries',
      'triggers',
      'user_group_members',
      'user_groups',
      'users',
      'view_workflows',
      'views',
      'workflow_grants',
      'workflow_versions',
      'workflows',
    ]);
    // Twice more, concurrently: the advisory lock makes the second wait, then both find nothing to do.
    await Promise.all([migrateDatabase(testDb.url), migrateDatabase(testDb.url)]);
    const applied = await handle.db.execute<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations`,
    );
    // One row per migration in the journal.
    const journal = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')) as {
      entries: unknown[];
    };
    expect(journal.entries.length).toBeGreaterThan(0);
    expect(applied.rows[0]?.n).toBe(journal.entries.length);
  });
});

describe('projects', () => {
  it('creates, gets, lists and rejects duplicates with ConflictError', async () => {
    await createProject(handle.db, { name: 'other' });
    expect(await getProject(handle.db, 'other')).toMatchObject({ name: 'other', displayName: 'other' });
    expect(await getProject(handle.db, 'missing')).toBeUndefined();
    expect((await listProjects(handle.db)).map((p) => p.name)).toEqual(['demo', 'other']);
    const err = await createProject(handle.db, { name: 'demo' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as ConflictError).httpStatus).toBe(409);
  });
});

describe('workflows', () => {
  it('upsert bumps the version and keeps every version', async () => {
    const first = await upsertWorkflow(handle.db, {
      project: 'demo',
      name: 'wf',
      definition: definition('wf'),
      user: 'alice',
    });
    expect(first).toMatchObject({ version: 1, displayName: 'Display wf', concurrencyLimit: 2, createdBy: 'alice' });
    const second = await upsertWorkflow(handle.db, {
      project: 'demo',
      name: 'wf',
      definition: definition('wf', 'echo v2'),
      user: 'bob',
    });
    expect(second).toMatchObject({ id: first.id, version: 2, createdBy: 'alice', updatedBy: 'bob' });
    const versions = await listWorkflowVersions(handle.db, 'demo', 'wf');
    expect(versions.map((v) => [v.version, v.createdBy])).toEqual([
      [2, 'bob'],
      [1, 'alice'],
    ]);
    const v1 = await getWorkflowVersion(handle.db, 'demo', 'wf', 1);
    expect(v1?.definition.stages[0]?.jobs[0]?.spec).toEqual({ script: 'echo hi' });
    expect((await getWorkflow(handle.db, 'demo', 'wf'))?.definition.stages[0]?.jobs[0]?.spec).toEqual({
      script: 'echo v2',
    });
  });

  it('rejects a stale expectedVersion without saving anything', async () => {
    await upsertWorkflow(handle.db, { project: 'demo', name: 'occ', definition: definition('occ'), user: 'a' });
    await expect(
      upsertWorkflow(handle.db, {
        project: 'demo',
        name: 'occ',
        definition: definition('occ'),
        user: 'a',
        expectedVersion: 0,
      }),
    ).rejects.toBeInstanceOf(ConflictError);
    await expect(
      upsertWorkflow(handle.db, {
        project: 'demo',
        name: 'occ',
        definition: definition('occ'),
        user: 'a',
        expectedVersion: 7,
      }),
    ).rejects.toBeInstanceOf(ConflictError);
    await expect(
      upsertWorkflow(handle.db, {
        project: 'demo',
        name: 'new',
        definition: definition('new'),
        user: 'a',
        expectedVersion: 3,
      }),
    ).rejects.toBeInstanceOf(ConflictError);
    expect(await getWorkflow(handle.db, 'demo', 'new')).toBeUndefined();
    const ok = await upsertWorkflow(handle.db, {
      project: 'demo',
      name: 'occ',
      definition: definition('occ'),
      user: 'a',
      expectedVersion: 1,
    });
    expect(ok.version).toBe(2);
    expect(await listWorkflowVersions(handle.db, 'demo', 'occ')).toHaveLength(2);
  });

  it('maps a missing project to NotFoundError', async () => {
    await expect(
      upsertWorkflow(handle.db, { project: 'nope', name: 'x', definition: definition('x'), user: 'a' }),
    ).rejects.toBeInstanceOf(NotFoundError);
  });

  it('lists by project and deletes with versions', async () => {
    await upsertWorkflow(handle.db, { project: 'demo', name: 'doomed', definition: definition('doomed'), user: 'a' });
    expect((await listWorkflows(handle.db, 'demo')).map((w) => w.name)).toContain('doomed');
    expect(await deleteWorkflow(handle.db, 'demo', 'doomed')).toBe(true);
    expect(await deleteWorkflow(handle.db, 'demo', 'doomed')).toBe(false);
    expect(await listWorkflowVersions(handle.db, 'demo', 'doomed')).toEqual([]);
  });
});

describe('runs', () => {
  /** What prepareRun does with the database: read under the lock, then take the number with the insert. */
  async function start(tx: Tx, workflow: string): Promise<number> {
    const locked = await lockWorkflowToRun(tx, 'demo', workflow);
    if (!locked) throw new Error(`no workflow ${workflow}`);
    await insertRunTakingNumber(tx, { project: 'demo', workflow, runNumber: locked.nextRunNumber, creator: 'alice' });
    return locked.nextRunNumber;
  }
  const nextRunNumber = async (workflow: string) => (await getWorkflow(handle.db, 'demo', workflow))?.nextRunNumber;

  it('reads the workflow with its project display name, and nothing for an unknown one', async () => {
    await upsertWorkflow(handle.db, { project: 'demo', name: 'read', definition: definition('read'), user: 'a' });
    const locked = await withTransaction(handle.db, (tx) => lockWorkflowToRun(tx, 'demo', 'read'));
    expect(locked).toEqual({ definition: definition('read'), nextRunNumber: 1, projectDisplayName: 'Demo' });
    expect(await withTransaction(handle.db, (tx) => lockWorkflowToRun(tx, 'demo', 'missing'))).toBeUndefined();
    expect(await withTransaction(handle.db, (tx) => lockWorkflowToRun(tx, 'nowhere', 'read'))).toBeUndefined();
  });

  it('30 concurrent starts of one workflow take 30 distinct consecutive numbers, each row its own', async () => {
    await upsertWorkflow(handle.db, { project: 'demo', name: 'busy', definition: definition('busy'), user: 'a' });
    const numbers = await Promise.all(
      Array.from({ length: 30 }, () => withTransaction(handle.db, (tx) => start(tx, 'busy'))),
    );
    const oneToThirty = Array.from({ length: 30 }, (_, i) => i + 1);
    expect([...numbers].sort((a, b) => a - b)).toEqual(oneToThirty);
    const { runs: rows } = await listRuns(handle.db, { project: 'demo', workflow: 'busy', limit: 50, offset: 0 });
    expect(rows.map((r) => [r.id, r.runNumber, r.status]).reverse()).toEqual(
      oneToThirty.map((n) => [`demo/busy/${n}`, n, 'created']),
    );
    expect(await nextRunNumber('busy')).toBe(31);
  });

  it('a second start waits for the first to end and then reads the number after it', async () => {
    await upsertWorkflow(handle.db, { project: 'demo', name: 'queue', definition: definition('queue'), user: 'a' });
    let locked!: () => void;
    const firstLocked = new Promise<void>((resolve) => (locked = resolve));
    let proceed!: () => void;
    const firstMayProceed = new Promise<void>((resolve) => (proceed = resolve));
    const first = withTransaction(handle.db, async (tx) => {
      const read = await lockWorkflowToRun(tx, 'demo', 'queue');
      locked();
      await firstMayProceed;
      await insertRunTakingNumber(tx, {
        project: 'demo',
        workflow: 'queue',
        runNumber: read!.nextRunNumber,
        creator: 'a',
      });
      return read!.nextRunNumber;
    });
    await firstLocked;
    let secondRead: number | undefined;
    const second = withTransaction(handle.db, async (tx) => {
      secondRead = (await lockWorkflowToRun(tx, 'demo', 'queue'))?.nextRunNumber;
      await insertRunTakingNumber(tx, { project: 'demo', workflow: 'queue', runNumber: secondRead!, creator: 'b' });
      return secondRead;
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(secondRead).toBeUndefined();
    proceed();
    expect(await first).toBe(1);
    expect(await second).toBe(2);
  });

  it('a start refused after the read leaves no row and no gap, even in a transaction that goes on', async () => {
    await upsertWorkflow(handle.db, { project: 'demo', name: 'tx', definition: definition('tx'), user: 'a' });
    await expect(
      withTransaction(handle.db, async (tx) => {
        await start(tx, 'tx');
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    // Refused after the read, the caller records something else and commits (as a trigger records the reason).
    await withTransaction(handle.db, async (tx) => {
      expect((await lockWorkflowToRun(tx, 'demo', 'tx'))?.nextRunNumber).toBe(1);
      await createProject(tx, { name: 'after-refusal' });
    });
    expect(await getProject(handle.db, 'after-refusal')).toBeDefined();
    expect(await getRun(handle.db, 'demo/tx/1')).toBeUndefined();
    expect(await nextRunNumber('tx')).toBe(1);
    expect(await withTransaction(handle.db, (tx) => start(tx, 'tx'))).toBe(1);
  });

  it('a number that is not the next one takes nothing and inserts nothing', async () => {
    await upsertWorkflow(handle.db, { project: 'demo', name: 'stale', definition: definition('stale'), user: 'a' });
    await withTransaction(handle.db, (tx) => start(tx, 'stale'));
    for (const runNumber of [1, 3]) {
      await expect(
        withTransaction(handle.db, (tx) =>
          insertRunTakingNumber(tx, { project: 'demo', workflow: 'stale', runNumber, creator: 'a' }),
        ),
      ).rejects.toThrow(`run number ${runNumber} is not the next of workflow "demo/stale"`);
    }
    await expect(
      withTransaction(handle.db, (tx) =>
        insertRunTakingNumber(tx, { project: 'demo', workflow: 'gone', runNumber: 1, creator: 'a' }),
      ),
    ).rejects.toThrow('is not the next');
    expect((await listRuns(handle.db, { project: 'demo', workflow: 'stale', limit: 10, offset: 0 })).total).toBe(1);
    expect(await getRun(handle.db, 'demo/gone/1')).toBeUndefined();
    expect(await nextRunNumber('stale')).toBe(2);
  });

  it("a workflow created again under a deleted one's key numbers its runs on from the last one", async () => {
    await upsertWorkflow(handle.db, { project: 'demo', name: 'again', definition: definition('again'), user: 'a' });
    for (let i = 0; i < 2; i++) await withTransaction(handle.db, (tx) => start(tx, 'again'));
    expect(await deleteWorkflow(handle.db, 'demo', 'again')).toBe(true);
    await upsertWorkflow(handle.db, { project: 'demo', name: 'again', definition: definition('again'), user: 'a' });
    expect(await withTransaction(handle.db, (tx) => start(tx, 'again'))).toBe(3);
  });

  it('lists runs newest first with filters and a total', async () => {
    await upsertWorkflow(handle.db, { project: 'demo', name: 'list', definition: definition('list'), user: 'a' });
    for (let i = 0; i < 5; i++) {
      await insertRun(handle.db, {
        project: 'demo',
        workflow: 'list',
        runNumber: i + 1,
        creator: i % 2 ? 'bob' : 'alice',
      });
    }
    await handle.db.execute(sql`UPDATE runs SET status = 'passed' WHERE id = 'demo/list/2'`);
    const page = await listRuns(handle.db, { project: 'demo', workflow: 'list', limit: 2, offset: 1 });
    expect(page.total).toBe(5);
    expect(page.runs.map((r) => r.runNumber)).toEqual([4, 3]);
    const bob = await listRuns(handle.db, { project: 'demo', workflow: 'list', creator: 'bob', limit: 10, offset: 0 });
    expect(bob.runs.map((r) => r.runNumber)).toEqual([4, 2]);
    const passed = await listRuns(handle.db, {
      project: 'demo',
      workflow: 'list',
      status: ['passed'],
      limit: 10,
      offset: 0,
    });
    expect(passed).toMatchObject({ total: 1, runs: [{ id: 'demo/list/2' }] });
    expect(await getRun(handle.db, 'demo/list/5')).toMatchObject({ creator: 'alice', status: 'created' });
    expect(await getRun(handle.db, 'demo/list/99')).toBeUndefined();
    expect(await listJobRuns(handle.db, 'demo/list/5')).toEqual([]);
  });
});

describe('run secrets', () => {
  it('are sealed at rest and open with the same key only', async () => {
    await upsertWorkflow(handle.db, { project: 'demo', name: 'sec', definition: definition('sec'), user: 'a' });
    await insertRun(handle.db, { project: 'demo', workflow: 'sec', runNumber: 1, creator: 'a' });
    const box = new SecretBox('test-key');
    const plaintext = 'hunter2-very-secret-token';
    await storeRunSecrets(handle.db, 'demo/sec/1', { TOKEN: plaintext, EMPTY: '' }, box);

    const raw = await handle.pool.query<{ name: string; sealed_value: string }>(
      `SELECT name, sealed_value FROM run_secrets WHERE run_id = $1 ORDER BY name`,
      ['demo/sec/1'],
    );
    expect(raw.rows.map((r) => r.name)).toEqual(['EMPTY', 'TOKEN']);
    for (const row of raw.rows) {
      expect(row.sealed_value).toMatch(/^v1:/);
      expect(row.sealed_value).not.toContain(plaintext);
    }
    const dump = await handle.pool.query<{ t: string }>(`SELECT run_secrets::text AS t FROM run_secrets`);
    expect(dump.rows.some((r) => r.t.includes(plaintext))).toBe(false);

    expect(await loadRunSecrets(handle.db, 'demo/sec/1', box)).toEqual({ TOKEN: plaintext, EMPTY: '' });
    await expect(loadRunSecrets(handle.db, 'demo/sec/1', new SecretBox('other-key'))).rejects.toThrow();
  });

  it("keep a job's channel apart from a param of the same name", async () => {
    await insertRun(handle.db, { project: 'demo', workflow: 'sec', runNumber: 2, creator: 'a' });
    const box = new SecretBox('test-key');
    await storeRunSecrets(handle.db, 'demo/sec/2', { notify: 'param-value' }, box);
    await storeRunSecrets(handle.db, 'demo/sec/2', { notify: '{"c":{"token":"t"}}', other: 'x' }, box, 'channel');

    expect(await loadRunSecrets(handle.db, 'demo/sec/2', box)).toEqual({ notify: 'param-value' });
    expect(await loadRunSecrets(handle.db, 'demo/sec/2', box, 'channel', 'notify')).toEqual({
      notify: '{"c":{"token":"t"}}',
    });
    expect(await loadRunSecrets(handle.db, 'demo/sec/2', box, 'channel')).toEqual({
      notify: '{"c":{"token":"t"}}',
      other: 'x',
    });
  });
});
