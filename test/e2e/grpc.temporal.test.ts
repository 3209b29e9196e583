import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as http2Connect } from 'node:http2';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, Engine, job } from '@stagecoach/testkit';

/**
 * The gRPC API through @grpc/grpc-js, the canonical Node gRPC implementation, with the messages
 * loaded from proto/ at run time: nothing here shares code with the server (Connect), so the
 * calls prove wire compatibility as much as behaviour.
 */
const PROTO_DIR = resolve(import.meta.dirname, '../../proto');
const packageDefinition = protoLoader.loadSync(
  ['stagecoach/v1/workflow_service.proto', 'stagecoach/v1/run_service.proto'],
  { includeDirs: [PROTO_DIR], keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true },
);
const v1 = (grpc.loadPackageDefinition(packageDefinition) as any).stagecoach.v1;

const P = 'grpc';
const PASSWORD = 'a long enough password';
let engine: Engine;
let workflows: grpc.Client & Record<string, any>;
let runs: grpc.Client & Record<string, any>;
let grpcAddress: string;
const tokens: Record<string, string> = {};
const markers = mkdtempSync(join(tmpdir(), 'sc-grpc-'));

beforeAll(async () => {
  engine = await Engine.start();
  connect(await engine.startGrpc());
  expect((await engine.api('POST', '/api/v1/projects', { name: P })).status).toBe(201);
  // carol views, mona is a member, pat administers the project, olga is in no project.
  for (const [username, role] of [
    ['carol', 'viewer'],
    ['mona', 'member'],
    ['pat', 'admin'],
    ['olga', undefined],
  ] as const) {
    expect((await engine.api('POST', '/api/v1/users', { username, password: PASSWORD })).status).toBe(201);
    const login = await engine.api('POST', '/api/v1/login', { username, password: PASSWORD }, { token: null });
    tokens[username] = login.body.token;
    if (role) expect((await engine.api('PUT', `/api/v1/projects/${P}/members/${username}`, { role })).status).toBe(204);
  }
});
afterAll(async () => {
  workflows?.close();
  runs?.close();
  await engine?.stop();
  rmSync(markers, { recursive: true, force: true });
});

function connect(address: string): void {
  grpcAddress = address;
  workflows?.close();
  runs?.close();
  workflows = new v1.WorkflowService(address, grpc.credentials.createInsecure());
  runs = new v1.RunService(address, grpc.credentials.createInsecure());
}

function metadata(entries: Record<string, string>): grpc.Metadata {
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(entries)) md.set(k, v);
  return md;
}
/** The installation's admin token, acting as `user`. */
const admin = (user = 'alice') => metadata({ authorization: `Bearer ${ADMIN_TOKEN}`, 'x-user': user });
/** A user's session token. */
const as = (username: string) => metadata({ authorization: `Bearer ${tokens[username]}` });

/**
 * grpc-js reads grpc-message with decodeURI, which keeps the escapes of reserved characters (`%3A`
 * for `:`) that the server (Connect: encodeURIComponent, as the gRPC spec allows) writes.
 */
function decoded(err: grpc.ServiceError): grpc.ServiceError {
  err.details = decodeURIComponent(err.details);
  return err;
}

function call<T = any>(client: Record<string, any>, method: string, request: object, md: grpc.Metadata): Promise<T> {
  return new Promise((resolve, reject) =>
    client[method](request, md, (err: grpc.ServiceError | null, res: T) => (err ? reject(decoded(err)) : resolve(res))),
  );
}

/** Everything WatchRun sends until the server ends the stream. */
function watch(request: object, md: grpc.Metadata): Promise<any[]> {
  return new Promise((resolve, reject) => {
    const items: any[] = [];
    const stream: grpc.ClientReadableStream<any> = runs.WatchRun(request, md);
    stream.on('data', (item) => items.push(item));
    stream.on('error', (err: grpc.ServiceError) => reject(decoded(err)));
    stream.on('end', () => resolve(items));
  });
}

const refused = (code: grpc.status, message?: RegExp) =>
  expect.objectContaining({ code, ...(message ? { details: expect.stringMatching(message) } : {}) });

const pipelineYaml = (name: string) => `
name: ${name}
project: ${P}
stages:
  - name: build
    jobs:
      - name: compile
        type: freestyle
        spec:
          script: |
            echo "line 1"
            echo "line 2"
            echo "line 3"
  - name: test
    jobs:
      - name: unit
        type: freestyle
        spec:
          script: echo "tests passed"
`;

/** An approval only carol may give, then a job that says so; as JSON text (JSON is YAML). */
const approvalWorkflow = (name: string) =>
  JSON.stringify({
    name,
    project: P,
    stages: [
      {
        name: 'approve',
        jobs: [
          {
            name: 'release-approval',
            type: 'approval',
            spec: { native_approval: { approve_users: [{ user_name: 'carol' }], needed_approvers: 1 } },
          },
        ],
      },
      { name: 'after', jobs: [{ name: 'after', type: 'freestyle', spec: { script: 'echo approved' } }] },
    ],
  });

describe('gRPC API', () => {
  it('puts, gets and lists workflows; a bad definition is INVALID_ARGUMENT naming the path', async () => {
    const created = await call(
      workflows,
      'PutWorkflow',
      { project: P, name: 'pipeline', definition: pipelineYaml('pipeline') },
      admin(),
    );
    expect(created.created).toBe(true);
    expect(created.workflow).toMatchObject({ project: P, name: 'pipeline', version: 1, updated_by: 'alice' });
    const updated = await call(
      workflows,
      'PutWorkflow',
      { project: P, name: 'pipeline', definition: pipelineYaml('pipeline') },
      admin('bob'),
    );
    expect(updated).toMatchObject({ created: false, workflow: { version: 2, updated_by: 'bob' } });

    const got = await call(workflows, 'GetWorkflow', { project: P, name: 'pipeline' }, as('carol'));
    expect(JSON.parse(got.workflow.definition_json).stages.map((s: any) => s.jobs[0].name)).toEqual([
      'compile',
      'unit',
    ]);
    expect(Number(got.workflow.updated_at.seconds)).toBeGreaterThan(Date.now() / 1000 - 600);
    const listed = await call(workflows, 'ListWorkflows', { project: P }, as('carol'));
    expect(listed.workflows.map((w: any) => w.name)).toEqual(['pipeline']);

    const missingScript = pipelineYaml('broken').replace('script: echo "tests passed"', 'image: alpine');
    await expect(
      call(workflows, 'PutWorkflow', { project: P, name: 'broken', definition: missingScript }, admin()),
    ).rejects.toEqual(
      refused(grpc.status.INVALID_ARGUMENT, /stages\[1\]\.jobs\[0\]\.spec\.script \(line \d+\): is required/),
    );
    await expect(
      call(workflows, 'PutWorkflow', { project: P, name: 'other-name', definition: pipelineYaml('broken') }, admin()),
    ).rejects.toEqual(refused(grpc.status.INVALID_ARGUMENT, /name: must equal/));
    await expect(call(workflows, 'GetWorkflow', { project: P, name: 'broken' }, admin())).rejects.toEqual(
      refused(grpc.status.NOT_FOUND),
    );
    await expect(call(workflows, 'GetWorkflow', { project: P, name: 'no such!' }, admin())).rejects.toEqual(
      refused(grpc.status.INVALID_ARGUMENT, /name: must be/),
    );
  });

  it('authenticates as REST does: no token, an unknown token, the admin token without x-user', async () => {
    await expect(call(workflows, 'ListWorkflows', { project: P }, new grpc.Metadata())).rejects.toEqual(
      refused(grpc.status.UNAUTHENTICATED),
    );
    await expect(
      call(workflows, 'ListWorkflows', { project: P }, metadata({ authorization: 'Bearer scs_not-a-token' })),
    ).rejects.toEqual(refused(grpc.status.UNAUTHENTICATED));
    await expect(watch({ project: P, workflow: 'pipeline', run_number: 1 }, new grpc.Metadata())).rejects.toEqual(
      refused(grpc.status.UNAUTHENTICATED),
    );
    // Reads may name nobody; changes must say who is acting.
    const adminToken = metadata({ authorization: `Bearer ${ADMIN_TOKEN}` });
    await expect(call(workflows, 'ListWorkflows', { project: P }, adminToken)).resolves.toBeTruthy();
    await expect(call(runs, 'StartRun', { project: P, workflow: 'pipeline' }, adminToken)).rejects.toEqual(
      refused(grpc.status.INVALID_ARGUMENT, /x-user/i),
    );
    // Repeated x-user reaches the server joined ("ann, bob"): a caller nobody is, refused rather than recorded.
    const twoUsers = admin('ann');
    twoUsers.add('x-user', 'bob');
    await expect(call(workflows, 'ListWorkflows', { project: P }, twoUsers)).rejects.toEqual(
      refused(grpc.status.INVALID_ARGUMENT, /given more than once/),
    );
    await expect(call(workflows, 'ListWorkflows', { project: P }, admin('ann, bob'))).resolves.toBeTruthy();
  });

  it('answers the Connect protocol (JSON over HTTP/2) on the same port, with the same checks', async () => {
    const session = http2Connect(`http://${grpcAddress}`);
    const post = (path: string, body: object, headers: Record<string, string>) =>
      new Promise<{ status: number; body: any }>((resolve, reject) => {
        const req = session.request({
          ':method': 'POST',
          ':path': path,
          'content-type': 'application/json',
          ...headers,
        });
        let text = '';
        let status = 0;
        req.on('response', (h) => (status = Number(h[':status'])));
        req.on('data', (chunk: Buffer) => (text += chunk.toString()));
        req.on('end', () => resolve({ status, body: JSON.parse(text) }));
        req.on('error', reject);
        req.end(JSON.stringify(body));
      });
    try {
      const listed = await post(
        '/stagecoach.v1.WorkflowService/ListWorkflows',
        { project: P },
        { authorization: `Bearer ${tokens.carol}` },
      );
      expect(listed.status).toBe(200);
      expect(listed.body.workflows.map((w: any) => w.name)).toEqual(['pipeline']);
      const refusedCall = await post(
        '/stagecoach.v1.RunService/StartRun',
        { project: P, workflow: 'pipeline' },
        {
          authorization: `Bearer ${tokens.carol}`,
        },
      );
      expect(refusedCall).toMatchObject({ status: 403, body: { code: 'permission_denied' } });
      // A misspelt field is refused, not dropped: skip_job would have run every job.
      const misspelt = await post(
        '/stagecoach.v1.RunService/StartRun',
        { project: P, workflow: 'pipeline', skip_job: ['compile'] },
        { authorization: `Bearer ${ADMIN_TOKEN}`, 'x-user': 'ann' },
      );
      expect(misspelt.status).toBe(400);
      expect(misspelt.body).toMatchObject({ code: 'invalid_argument' });
      expect(misspelt.body.message).toMatch(/skip_job/);
    } finally {
      session.close();
    }
  });

  it('refuses a NUL character in a request as INVALID_ARGUMENT naming the field, and starts nothing', async () => {
    await expect(
      call(runs, 'StartRun', { project: P, workflow: 'pipeline', remark: 'a\u0000b' }, as('mona')),
    ).rejects.toEqual(refused(grpc.status.INVALID_ARGUMENT, /^invalid request: remark: contains a NUL character/));
    await expect(
      call(runs, 'StartRun', { project: P, workflow: 'pipeline', skip_jobs: ['x\u0000'] }, as('mona')),
    ).rejects.toEqual(refused(grpc.status.INVALID_ARGUMENT, /skip_jobs\.0: contains a NUL character/));
    // Before the access check, which would look the project up for a caller who is not the admin.
    await expect(call(runs, 'StartRun', { project: 'a\u0000', workflow: 'pipeline' }, as('mona'))).rejects.toEqual(
      refused(grpc.status.INVALID_ARGUMENT, /project: contains a NUL character/),
    );
    const listed = await call(runs, 'ListRuns', { project: P, workflow: 'pipeline' }, as('mona'));
    expect(listed.total_size).toBe(0);
  });

  it('starts a run and streams its status changes and log lines until it ends', async () => {
    const started = await call(runs, 'StartRun', { project: P, workflow: 'pipeline', remark: 'via gRPC' }, as('mona'));
    expect(started).toEqual({ run_number: 1, run_id: `${P}/pipeline/1` });

    const items = await watch({ project: P, workflow: 'pipeline', run_number: 1 }, as('carol'));
    const changes = items.filter((i) => i.event === 'status_change').map((i) => i.status_change);
    const describe = (c: any) => [c.scope, c.stage, c.job, c.status].filter(Boolean).join(' ');
    expect(changes.map(describe)).toEqual([
      'SCOPE_RUN running',
      'SCOPE_STAGE build running',
      'SCOPE_JOB build compile running',
      'SCOPE_JOB build compile passed',
      'SCOPE_STAGE build passed',
      'SCOPE_STAGE test running',
      'SCOPE_JOB test unit running',
      'SCOPE_JOB test unit passed',
      'SCOPE_STAGE test passed',
      'SCOPE_RUN passed',
    ]);
    const lines = items.filter((i) => i.event === 'log_line').map((i) => `${i.log_line.job}: ${i.log_line.text}`);
    expect(lines.filter((l) => l.startsWith('compile: line'))).toEqual([
      'compile: line 1',
      'compile: line 2',
      'compile: line 3',
    ]);
    expect(lines).toContain('unit: tests passed');
    // The final status is the stream's last word.
    expect(items.at(-1)).toMatchObject({
      event: 'status_change',
      status_change: { scope: 'SCOPE_RUN', status: 'passed' },
    });

    // Watching a finished run replays it and ends.
    const again = await watch({ project: P, workflow: 'pipeline', run_number: 1 }, as('carol'));
    expect(again.filter((i) => i.event === 'log_line')).toHaveLength(
      items.filter((i) => i.event === 'log_line').length,
    );

    await engine.waitForStatus(P, 'pipeline', 1, 'passed');
    const { run } = await call(runs, 'GetRun', { project: P, workflow: 'pipeline', run_number: 1 }, as('carol'));
    expect(run.summary).toMatchObject({ run_number: 1, status: 'passed', creator: 'mona', remark: 'via gRPC' });
    expect(run.stages.map((s: any) => [s.name, s.status, s.jobs.map((j: any) => `${j.name}:${j.status}`)])).toEqual([
      ['build', 'passed', ['compile:passed']],
      ['test', 'passed', ['unit:passed']],
    ]);
  });

  it('lists runs a page at a time', async () => {
    for (let i = 0; i < 2; i++) await call(runs, 'StartRun', { project: P, workflow: 'pipeline' }, admin());
    const first = await call(runs, 'ListRuns', { project: P, workflow: 'pipeline', page_size: 2 }, as('carol'));
    expect(first.runs.map((r: any) => r.run_number)).toEqual([3, 2]);
    expect(first).toMatchObject({ total_size: 3, next_page_token: '2' });
    const second = await call(
      runs,
      'ListRuns',
      { project: P, workflow: 'pipeline', page_size: 2, page_token: first.next_page_token },
      as('carol'),
    );
    expect(second.runs.map((r: any) => r.run_number)).toEqual([1]);
    expect(second.next_page_token).toBe('');
    const byMona = await call(runs, 'ListRuns', { project: P, workflow: 'pipeline', creator: 'mona' }, as('carol'));
    expect(byMona.runs.map((r: any) => r.run_number)).toEqual([1]);
    await expect(
      call(runs, 'ListRuns', { project: P, workflow: 'pipeline', page_size: 500 }, as('carol')),
    ).rejects.toEqual(refused(grpc.status.INVALID_ARGUMENT, /page_size/));
    // An offset past what PostgreSQL takes is no token this service gave out.
    await expect(
      call(runs, 'ListRuns', { project: P, workflow: 'pipeline', page_token: '9'.repeat(20) }, as('carol')),
    ).rejects.toEqual(refused(grpc.status.INVALID_ARGUMENT, /page_token: not a token from next_page_token/));
    // A status no run can have is a mistake to name, not an empty page.
    await expect(
      call(runs, 'ListRuns', { project: P, workflow: 'pipeline', statuses: ['bogus'] }, as('carol')),
    ).rejects.toEqual(refused(grpc.status.INVALID_ARGUMENT, /statuses: expected any of/));
    for (const n of [2, 3]) await engine.waitForStatus(P, 'pipeline', n, 'passed');
  });

  it('applies the project roles before looking anything up', async () => {
    const target = { project: P, workflow: 'pipeline' };
    await expect(call(runs, 'StartRun', target, as('carol'))).rejects.toEqual(
      refused(grpc.status.PERMISSION_DENIED, /"carol" may not run/),
    );
    await expect(
      call(
        workflows,
        'PutWorkflow',
        { project: P, name: 'pipeline', definition: pipelineYaml('pipeline') },
        as('mona'),
      ),
    ).rejects.toEqual(refused(grpc.status.PERMISSION_DENIED));
    await expect(call(runs, 'CancelRun', { ...target, run_number: 1 }, as('carol'))).rejects.toEqual(
      refused(grpc.status.PERMISSION_DENIED),
    );
    // Someone outside the project is refused alike whether or not the thing exists.
    for (const workflow of ['pipeline', 'no-such-workflow']) {
      await expect(call(runs, 'GetRun', { project: P, workflow, run_number: 1 }, as('olga'))).rejects.toEqual(
        refused(grpc.status.PERMISSION_DENIED),
      );
      await expect(watch({ project: P, workflow, run_number: 1 }, as('olga'))).rejects.toEqual(
        refused(grpc.status.PERMISSION_DENIED),
      );
    }
    await expect(call(workflows, 'ListWorkflows', { project: 'elsewhere' }, as('olga'))).rejects.toEqual(
      refused(grpc.status.PERMISSION_DENIED),
    );
    // Allowed to look, the caller learns what does not exist.
    await expect(call(runs, 'GetRun', { ...target, run_number: 99 }, as('carol'))).rejects.toEqual(
      refused(grpc.status.NOT_FOUND),
    );
    await expect(call(runs, 'GetRun', { ...target, run_number: 0 }, as('carol'))).rejects.toEqual(
      refused(grpc.status.INVALID_ARGUMENT, /run_number/),
    );
  });

  it('walks every RPC of the proto for every role: refused exactly where the role falls short', async () => {
    // What each RPC needs, restated from the specification (§6.2) rather than read from the server.
    const REQUIRED: Record<string, 'view' | 'edit' | 'run'> = {
      PutWorkflow: 'edit',
      GetWorkflow: 'view',
      ListWorkflows: 'view',
      StartRun: 'run',
      GetRun: 'view',
      ListRuns: 'view',
      CancelRun: 'run',
      RetryRun: 'run',
      Approve: 'view',
      WatchRun: 'view',
    };
    const ROLE_VERBS: Record<string, string[]> = {
      anonymous: [],
      olga: [],
      carol: ['view'],
      mona: ['view', 'run'],
      pat: ['view', 'edit', 'run'],
      admin: ['view', 'edit', 'run'],
    };
    // Requests an allowed caller gets past the check with, only to find nothing there (or a bad
    // definition): the walk changes nothing.
    const ghost = { project: P, workflow: 'matrix-ghost', run_number: 999 };
    const probes: Record<string, object> = {
      PutWorkflow: { project: P, name: 'matrix-ghost', definition: 'stages: [' },
      GetWorkflow: { project: P, name: 'matrix-ghost' },
      ListWorkflows: { project: P },
      StartRun: { project: P, workflow: 'matrix-ghost' },
      GetRun: ghost,
      ListRuns: { project: P, workflow: 'matrix-ghost' },
      CancelRun: ghost,
      RetryRun: ghost,
      Approve: { ...ghost, job: 'approve', approve: true },
      WatchRun: ghost,
    };
    const rpcs = [
      ...Object.keys(v1.WorkflowService.service).map((name) => [workflows, name] as const),
      ...Object.keys(v1.RunService.service).map((name) => [runs, name] as const),
    ];
    expect(rpcs.map(([, name]) => name).sort()).toEqual(Object.keys(REQUIRED).sort());
    const credentials: Record<string, grpc.Metadata> = {
      anonymous: new grpc.Metadata(),
      olga: as('olga'),
      carol: as('carol'),
      mona: as('mona'),
      pat: as('pat'),
      admin: admin(),
    };
    const wrong: string[] = [];
    for (const [client, name] of rpcs) {
      for (const [role, md] of Object.entries(credentials)) {
        const code = await (
          name === 'WatchRun' ? watch(probes[name]!, md) : call(client, name, probes[name]!, md)
        ).then(
          () => grpc.status.OK,
          (err: grpc.ServiceError) => err.code,
        );
        const allowed = ROLE_VERBS[role]!.includes(REQUIRED[name]!);
        const expected = role === 'anonymous' ? grpc.status.UNAUTHENTICATED : grpc.status.PERMISSION_DENIED;
        const ok = allowed
          ? code !== grpc.status.UNAUTHENTICATED && code !== grpc.status.PERMISSION_DENIED
          : code === expected;
        if (!ok) wrong.push(`${role} ${name}: ${grpc.status[code]}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("approves: the job's listed approver passes, an unlisted project admin is refused", async () => {
    await call(
      workflows,
      'PutWorkflow',
      {
        project: P,
        name: 'gated',
        definition: approvalWorkflow('gated'),
      },
      as('pat'),
    );
    const { run_number } = await call(runs, 'StartRun', { project: P, workflow: 'gated' }, as('mona'));
    const watching = watch({ project: P, workflow: 'gated', run_number }, as('carol'));
    await engine.waitForRun(P, 'gated', run_number, (r) => job(r, 'release-approval').status === 'wait_for_approval');

    const vote = { project: P, workflow: 'gated', run_number, job: 'release-approval', approve: true };
    await expect(call(runs, 'Approve', vote, as('pat'))).rejects.toEqual(
      refused(grpc.status.PERMISSION_DENIED, /pat is not an approver/),
    );
    await expect(call(runs, 'Approve', { ...vote, job: 'after' }, as('carol'))).rejects.toEqual(
      refused(grpc.status.FAILED_PRECONDITION),
    );
    await expect(call(runs, 'Approve', { ...vote, job: 'nope' }, as('carol'))).rejects.toEqual(
      refused(grpc.status.NOT_FOUND, /has no job "nope"/),
    );
    await call(runs, 'Approve', { ...vote, comment: 'ship it' }, as('carol'));

    const items = await watching;
    const changes = items.filter((i) => i.event === 'status_change').map((i) => i.status_change);
    const approvalChanges = changes.filter((c) => c.job === 'release-approval');
    expect(approvalChanges.map((c) => c.status)).toEqual(['wait_for_approval', 'passed']);
    // Each carries the approval: who may vote, and the votes so far.
    expect(approvalChanges.map((c) => c.approval.votes.map((v: any) => [v.user, v.approve, v.comment]))).toEqual([
      [],
      [['carol', true, 'ship it']],
    ]);
    expect(approvalChanges[0].approval).toMatchObject({ approvers: ['carol'], needed_approvers: 1 });
    expect(items.filter((i) => i.event === 'log_line').map((i) => i.log_line)).toContainEqual({
      job: 'after',
      text: 'approved',
    });
    expect(changes.at(-1)).toMatchObject({ scope: 'SCOPE_RUN', status: 'passed' });
    const { run } = await call(runs, 'GetRun', { project: P, workflow: 'gated', run_number }, as('carol'));
    expect(run.stages[0].jobs[0].approval.votes).toEqual([
      expect.objectContaining({ user: 'carol', approve: true, comment: 'ship it' }),
    ]);
  });

  it('cancels a run and retries it; the watch follows the retry to its end', async () => {
    const marker = join(markers, 'go');
    await call(
      workflows,
      'PutWorkflow',
      {
        project: P,
        name: 'waits',
        definition: `
name: waits
project: ${P}
stages:
  - name: s
    jobs:
      - name: wait
        type: freestyle
        spec:
          script: |
            echo "attempt"
            while [ ! -f ${marker} ]; do sleep 0.2; done
            echo "marker found"
`,
      },
      admin(),
    );
    const ref = { project: P, workflow: 'waits', run_number: 1 };
    await call(runs, 'StartRun', { project: P, workflow: 'waits' }, as('mona'));
    await engine.waitForRun(P, 'waits', 1, (r) => job(r, 'wait').status === 'running');
    await expect(call(runs, 'RetryRun', ref, as('mona'))).rejects.toEqual(
      refused(grpc.status.FAILED_PRECONDITION, /still running/),
    );
    await call(runs, 'CancelRun', ref, as('mona'));
    await engine.waitForStatus(P, 'waits', 1, 'cancelled');
    await expect(call(runs, 'CancelRun', ref, as('mona'))).rejects.toEqual(
      refused(grpc.status.FAILED_PRECONDITION, /already finished/),
    );

    writeFileSync(marker, '');
    expect(await call(runs, 'RetryRun', ref, as('mona'))).toEqual({ retry_num: 1 });
    // Watched right after the retry, before the projection has caught up: it must not stop at the
    // cancelled attempt's end.
    const items = await watch(ref, as('carol'));
    const runChanges = items
      .filter((i) => i.event === 'status_change' && i.status_change.scope === 'SCOPE_RUN')
      .map((i) => `${i.status_change.status} #${i.status_change.retry_num}`);
    expect(runChanges).toEqual(['running #0', 'cancelled #0', 'running #1', 'passed #1']);
    expect(items.filter((i) => i.event === 'log_line').map((i) => i.log_line.text)).toEqual([
      'attempt',
      'attempt',
      'marker found',
    ]);
    expect(existsSync(marker)).toBe(true);
    await engine.waitForStatus(P, 'waits', 1, 'passed');
    await expect(call(runs, 'RetryRun', ref, as('mona'))).rejects.toEqual(
      refused(grpc.status.FAILED_PRECONDITION, /only failed, timeout, cancelled or reject runs/),
    );
  });
  it('ends open watches with UNAVAILABLE when the server shuts down, without waiting for the run', async () => {
    await call(workflows, 'PutWorkflow', { project: P, name: 'held', definition: approvalWorkflow('held') }, admin());
    const { run_number } = await call(runs, 'StartRun', { project: P, workflow: 'held' }, as('mona'));
    const ref = { project: P, workflow: 'held', run_number };
    const seen: any[] = [];
    const watching = new Promise<grpc.ServiceError>((resolve, reject) => {
      const stream: grpc.ClientReadableStream<any> = runs.WatchRun(ref, as('carol'));
      stream.on('data', (item) => seen.push(item));
      stream.on('error', (err: grpc.ServiceError) => resolve(decoded(err)));
      stream.on('end', () => reject(new Error('the watch ended normally')));
    });
    await expect
      .poll(() => seen.some((i) => i.status_change?.status === 'wait_for_approval'), { timeout: 20_000 })
      .toBe(true);
    const started = Date.now();
    await engine.stopGrpc();
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(await watching).toMatchObject({
      code: grpc.status.UNAVAILABLE,
      details: expect.stringMatching(/shutting down/),
    });

    // A new server picks up where the old one left off: the run is still waiting.
    connect(await engine.startGrpc());
    // GetRun reads the projection, which may trail the events the watch saw.
    await expect
      .poll(async () => (await call(runs, 'GetRun', ref, as('carol'))).run.stages[0].jobs[0].status, {
        timeout: 10_000,
      })
      .toBe('wait_for_approval');
    await call(runs, 'CancelRun', ref, as('mona'));
  });
});
