import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine, job } from '@stagecoach/testkit';

/**
 * Roles and grants (Zadig §6.2) on every route. The matrix walks the gateway's own route table, so
 * a route added without an entry in REQUIRED fails here, and an entry that says something other
 * than what the route enforces fails for the role it misjudges.
 */
type Requirement = 'public' | 'signed-in' | 'system-admin' | 'view' | 'edit' | 'run' | 'manage';

const REQUIRED: Record<string, Requirement> = {
  'POST /api/v1/login': 'public',
  'POST /api/v1/logout': 'signed-in',
  'GET /api/v1/users/me': 'signed-in',
  'POST /api/v1/users/me/tokens': 'signed-in',
  'GET /api/v1/users/me/tokens': 'signed-in',
  'DELETE /api/v1/users/me/tokens/:id': 'signed-in',
  'POST /api/v1/users': 'system-admin',
  'GET /api/v1/users': 'system-admin',
  'GET /api/v1/audit': 'system-admin',
  'GET /api/v1/clusters': 'system-admin',
  'POST /api/v1/clusters': 'system-admin',
  'GET /api/v1/clusters/:id': 'system-admin',
  'PUT /api/v1/clusters/:id': 'system-admin',
  'DELETE /api/v1/clusters/:id': 'system-admin',
  'GET /api/v1/im-apps': 'system-admin',
  'POST /api/v1/im-apps': 'system-admin',
  'GET /api/v1/im-apps/:id': 'system-admin',
  'PUT /api/v1/im-apps/:id': 'system-admin',
  'DELETE /api/v1/im-apps/:id': 'system-admin',
  'POST /api/v1/user-groups': 'system-admin',
  'GET /api/v1/user-groups': 'system-admin',
  'GET /api/v1/user-groups/:name': 'system-admin',
  'PUT /api/v1/user-groups/:name/members': 'system-admin',
  'DELETE /api/v1/user-groups/:name': 'system-admin',
  'POST /api/v1/projects': 'system-admin',
  'GET /api/v1/projects': 'signed-in',
  'GET /api/v1/schemas/workflow': 'signed-in',
  'POST /api/v1/lint': 'signed-in',
  'GET /api/v1/projects/:project/members': 'view',
  'PUT /api/v1/projects/:project/members/:username': 'manage',
  'DELETE /api/v1/projects/:project/members/:username': 'manage',
  'GET /api/v1/projects/:project/workflows/:name/grants': 'manage',
  'PUT /api/v1/projects/:project/workflows/:name/grants/:username': 'manage',
  'DELETE /api/v1/projects/:project/workflows/:name/grants/:username': 'manage',
  'GET /api/v1/projects/:project/workflows': 'view',
  'PUT /api/v1/projects/:project/workflows/:name': 'edit',
  'GET /api/v1/projects/:project/workflows/:name': 'view',
  'DELETE /api/v1/projects/:project/workflows/:name': 'edit',
  'GET /api/v1/projects/:project/workflows/:name/versions': 'view',
  'GET /api/v1/projects/:project/workflows/:name/versions/:version': 'view',
  'GET /api/v1/projects/:project/views': 'view',
  'GET /api/v1/projects/:project/views/:view': 'view',
  'POST /api/v1/projects/:project/views': 'manage',
  'PUT /api/v1/projects/:project/views/:view': 'manage',
  'DELETE /api/v1/projects/:project/views/:view': 'manage',
  'POST /api/v1/projects/:project/workflows/:name/runs': 'run',
  'GET /api/v1/projects/:project/workflows/:name/runs': 'view',
  'GET /api/v1/projects/:project/workflows/:name/runs/:number': 'view',
  'POST /api/v1/projects/:project/workflows/:name/runs/:number/cancel': 'run',
  'POST /api/v1/projects/:project/workflows/:name/runs/:number/retry': 'run',
  // Deciding is for the job's listed people (checked by the run); seeing the run is the role's part.
  'POST /api/v1/projects/:project/workflows/:name/runs/:number/approvals': 'view',
  'POST /api/v1/projects/:project/workflows/:name/runs/:number/resume': 'view',
  'POST /api/v1/projects/:project/workflows/:name/runs/:number/decisions': 'view',
  'GET /api/v1/projects/:project/workflows/:name/runs/:number/jobs/:job/logs': 'view',
  'GET /api/v1/projects/:project/workflows/:name/runs/:number/notifications': 'view',
  'GET /api/v1/projects/:project/workflows/:name/notifications': 'view',
  'GET /api/v1/projects/:project/workflows/:name/triggers/deliveries': 'view',
  ...Object.fromEntries(
    ['git', 'timer', 'jira', 'meego', 'general'].flatMap((kind) => {
      const base = `/api/v1/projects/:project/workflows/:name/triggers/${kind}`;
      return [
        [`POST ${base}`, 'edit'],
        [`GET ${base}`, 'view'],
        [`GET ${base}/:trigger`, 'view'],
        [`PUT ${base}/:trigger`, 'edit'],
        [`DELETE ${base}/:trigger`, 'edit'],
      ];
    }),
  ),
  // Zadig's OpenAPI (services/gateway/src/openapi): the same verbs as the /api/v1 routes they mirror.
  'GET /openapi/workflows': 'view',
  'GET /openapi/workflows/custom/:name/detail': 'view',
  'POST /openapi/workflows/custom': 'edit',
  'PUT /openapi/workflows/custom/:name': 'edit',
  'DELETE /openapi/workflows/custom': 'edit',
  'POST /openapi/workflows/custom/task': 'run',
  'GET /openapi/workflows/custom/task': 'view',
  'DELETE /openapi/workflows/custom/task': 'run',
  'POST /openapi/workflows/custom/task/approve': 'view',
  'POST /openapi/workflows/custom/:name/task/:taskId': 'run',
  'GET /openapi/workflows/custom/:name/tasks': 'view',
  'GET /openapi/workflows/custom/:name/task/:taskId/manual-exec': 'view',
  'POST /openapi/workflows/custom/:name/task/:taskId/manual-exec': 'view',
  'GET /openapi/workflows/view': 'view',
  'POST /openapi/workflows/view': 'manage',
  'PUT /openapi/workflows/view/:name': 'manage',
  'DELETE /openapi/workflows/view/:name': 'manage',
};

type Role = 'anonymous' | 'outsider' | 'viewer' | 'member' | 'project-admin' | 'granted' | 'system-admin';
const ROLES: Role[] = ['anonymous', 'outsider', 'viewer', 'member', 'project-admin', 'granted', 'system-admin'];

/** The specification's table, restated: what each role may do in project P (and on workflow W). */
function allowed(role: Role, requirement: Requirement, onWorkflow: boolean): boolean {
  if (requirement === 'public') return true;
  if (role === 'anonymous') return false;
  if (requirement === 'signed-in' || role === 'system-admin') return true;
  if (requirement === 'system-admin') return false;
  switch (role) {
    case 'project-admin':
      return true;
    case 'member':
      return requirement === 'view' || requirement === 'run';
    case 'viewer':
      return requirement === 'view';
    case 'granted': // view + run granted on W only, no role: listings show W, nothing project-wide
      return requirement === 'view' || (requirement === 'run' && onWorkflow);
    case 'outsider':
      return false;
  }
}

const P = 'matrix';
const W = 'wf';
const PASSWORD = 'a long enough password';
let engine: Engine;
const tokens = {} as Record<Role, string | null>;

async function signIn(username: string, systemAdmin = false): Promise<string> {
  const made = await engine.api('POST', '/api/v1/users', { username, password: PASSWORD, system_admin: systemAdmin });
  expect(made.status).toBe(201);
  const login = await engine.api('POST', '/api/v1/login', { username, password: PASSWORD }, { token: null });
  return login.body.token as string;
}

const freestyle = (name: string) => ({
  name,
  project: P,
  stages: [{ name: 's', jobs: [{ name: 'build', type: 'freestyle', spec: { script: 'true' } }] }],
});

beforeAll(async () => {
  engine = await Engine.start();
  await engine.defineWorkflow(freestyle(W));
  await engine.defineWorkflow(freestyle('other'));
  tokens.anonymous = null;
  for (const role of ROLES.filter((r) => r !== 'anonymous')) tokens[role] = await signIn(role, role === 'system-admin');
  for (const [user, role] of [
    ['viewer', 'viewer'],
    ['member', 'member'],
    ['project-admin', 'admin'],
  ]) {
    expect((await engine.api('PUT', `/api/v1/projects/${P}/members/${user}`, { role })).status).toBe(204);
  }
  const grant = await engine.api('PUT', `/api/v1/projects/${P}/workflows/${W}/grants/granted`, {
    verbs: ['view', 'run'],
  });
  expect(grant.status).toBe(204);
});
afterAll(async () => {
  await engine?.stop();
});

const SAMPLE_PARAMS: Record<string, string> = {
  project: P,
  name: W,
  number: '1',
  job: 'build',
  view: 'some-view',
  trigger: 'some-trigger',
  id: '00000000-0000-4000-8000-000000000000',
  username: 'nobody',
  version: '1',
  taskId: '1',
};

const fill = (url: string) => url.replace(/:([a-zA-Z]+)/g, (_, key: string) => SAMPLE_PARAMS[key] ?? key);

/** Query strings for routes that name their project (and workflow) in the query, as Zadig's OpenAPI does. */
const PROBE_QUERY: Record<string, string> = {
  'GET /openapi/workflows': 'projectKey=matrix',
  'GET /openapi/workflows/custom/:name/detail': 'projectKey=matrix',
  'POST /openapi/workflows/custom': 'projectName=matrix',
  'PUT /openapi/workflows/custom/:name': 'projectName=matrix',
  'DELETE /openapi/workflows/custom': 'workflowKey=wf&projectKey=matrix',
  'GET /openapi/workflows/custom/task': 'workflowKey=wf&taskId=1&projectKey=matrix',
  'DELETE /openapi/workflows/custom/task': 'workflowKey=wf&taskId=1&projectKey=matrix',
  'POST /openapi/workflows/custom/:name/task/:taskId': 'projectKey=matrix',
  'GET /openapi/workflows/custom/:name/tasks': 'projectKey=matrix',
  'GET /openapi/workflows/custom/:name/task/:taskId/manual-exec': 'projectKey=matrix',
  'POST /openapi/workflows/custom/:name/task/:taskId/manual-exec': 'projectKey=matrix',
  'GET /openapi/workflows/view': 'projectKey=matrix',
  'PUT /openapi/workflows/view/:name': 'projectKey=matrix',
  'DELETE /openapi/workflows/view/:name': 'projectKey=matrix',
};

/**
 * Bodies for routes checked once the body is parsed (`fromBody`), where '{not json' would be refused
 * before the check: each names project P (and workflow W) but is refused by the handler or the schema
 * (400), or names a run that does not exist (404), so an allowed probe changes nothing.
 */
const PROBE_BODIES: Record<string, object> = {
  'POST /openapi/workflows/custom': { project: P, name: W },
  'PUT /openapi/workflows/custom/:name': { project: P, name: W },
  'POST /openapi/workflows/custom/task': { project_key: P, workflow_key: W, parameters: 'not a list' },
  'DELETE /openapi/workflows/custom/task': {},
  'POST /openapi/workflows/custom/task/approve': { project_key: P, workflow_key: W, task_id: 1 },
  'POST /openapi/workflows/custom/:name/task/:taskId': {},
  'POST /openapi/workflows/view': { project_key: P, name: 'some-view' },
};

/** Whether the probe of a route names workflow W (in its path, query or body). */
const namesWorkflow = (key: string, url: string) =>
  url.includes('/:name') ||
  (PROBE_QUERY[key] ?? '').includes(`workflowKey=${W}`) ||
  (PROBE_BODIES[key] as { workflow_key?: string } | undefined)?.workflow_key === W;

/**
 * One request as `role`. A mutating probe carries a body that is not JSON: once authorization lets
 * it through, parsing refuses it with 400 before the handler can change anything.
 */
async function probe(role: Role, method: string, url: string): Promise<number> {
  const key = `${method} ${url}`;
  const mutating = method !== 'GET';
  const query = PROBE_QUERY[key];
  const body = PROBE_BODIES[key];
  const res = await engine.app.inject({
    method: method as 'GET',
    url: fill(url) + (query ? `?${query}` : ''),
    headers: {
      ...(tokens[role] ? { authorization: `Bearer ${tokens[role]}` } : {}),
      ...(mutating ? { 'content-type': 'application/json' } : {}),
    },
    payload: mutating ? (body ? JSON.stringify(body) : '{not json') : undefined,
  });
  return res.statusCode;
}

describe('roles and grants', () => {
  it('every route declares its requirement, and each role gets exactly what the table gives it', async () => {
    const table = engine.app.accessTable.map((r) => `${r.method} ${r.url}`);
    expect(new Set(table).size).toBe(table.length);
    expect([...table].sort()).toEqual(Object.keys(REQUIRED).sort());

    const wrong: string[] = [];
    for (const route of engine.app.accessTable) {
      const key = `${route.method} ${route.url}`;
      const requirement = REQUIRED[key]!;
      for (const role of ROLES) {
        const status = await probe(role, route.method, route.url);
        const expected = allowed(role, requirement, namesWorkflow(key, route.url));
        const refused = role === 'anonymous' && requirement !== 'public' ? 401 : 403;
        if (expected ? status === 401 || status === 403 : status !== refused) {
          wrong.push(`${role} ${key}: ${status}, expected ${expected ? 'allowed' : refused}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('a refusal reads the same whether or not the project or workflow exists', async () => {
    const ask = (project: string, workflow: string) =>
      engine.api('GET', `/api/v1/projects/${project}/workflows/${workflow}`, undefined, { token: tokens.outsider });
    const existing = await ask(P, W);
    const missingWorkflow = await ask(P, 'nope');
    const missingProject = await ask('nope', W);
    expect([existing.status, missingWorkflow.status, missingProject.status]).toEqual([403, 403, 403]);
    expect(missingWorkflow.body.message).toBe(existing.body.message.replace(`"${W}"`, '"nope"'));
    expect(missingProject.body.message).toBe(existing.body.message.replace(`"${P}"`, '"nope"'));
    // A member of the project learns what exists in it, as a member should.
    const member = await engine.api('GET', `/api/v1/projects/${P}/workflows/nope`, undefined, {
      token: tokens.member,
    });
    expect(member.status).toBe(404);
    // Zadig's OpenAPI finds the project by workflow key: for a caller whose grant is on another
    // workflow of the project, an existing key reads as a missing one.
    const byKey = (workflow: string) =>
      engine.api('GET', `/openapi/workflows/custom/task?workflowKey=${workflow}&taskId=1`, undefined, {
        token: tokens.granted,
      });
    const [otherOne, noSuch] = [await byKey('other'), await byKey('nope')];
    expect([otherOne.status, noSuch.status]).toEqual([404, 404]);
    expect(otherOne.body.description).toBe(noSuch.body.description.replace('"nope"', '"other"'));
  });

  it('lists only what the caller may see', async () => {
    const list = async (role: Role) =>
      (
        await engine.api('GET', `/api/v1/projects/${P}/workflows`, undefined, { token: tokens[role] })
      ).body.workflows.map((w: { name: string }) => w.name);
    expect(await list('viewer')).toEqual(['other', W]);
    expect(await list('granted')).toEqual([W]);
    const allView = await engine.api('GET', `/api/v1/projects/${P}/views/All`, undefined, { token: tokens.granted });
    expect(allView.body.workflows).toEqual([W]);
    const projects = async (role: Role) =>
      (await engine.api('GET', '/api/v1/projects', undefined, { token: tokens[role] })).body.projects.map(
        (p: { name: string }) => p.name,
      );
    expect(await projects('granted')).toEqual([P]);
    expect(await projects('outsider')).toEqual([]);
    expect(await projects('system-admin')).toContain(P);
  });

  it('a grant ends when it is removed, a role when it is taken away', async () => {
    const url = `/api/v1/projects/${P}/workflows/other/runs`;
    expect((await engine.api('GET', url, undefined, { token: tokens.granted })).status).toBe(403);
    const byMember = await engine.api(
      'PUT',
      `/api/v1/projects/${P}/workflows/other/grants/granted`,
      { verbs: ['view'] },
      { token: tokens.member },
    );
    expect(byMember.status).toBe(403);
    const byAdmin = await engine.api(
      'PUT',
      `/api/v1/projects/${P}/workflows/other/grants/granted`,
      { verbs: ['view'] },
      { token: tokens['project-admin'] },
    );
    expect(byAdmin.status).toBe(204);
    expect((await engine.api('GET', url, undefined, { token: tokens.granted })).status).toBe(200);
    const grants = await engine.api('GET', `/api/v1/projects/${P}/workflows/other/grants`, undefined, {
      token: tokens['project-admin'],
    });
    expect(grants.body.grants).toMatchObject([{ username: 'granted', verbs: ['view'], granted_by: 'project-admin' }]);
    const badVerb = await engine.api(
      'PUT',
      `/api/v1/projects/${P}/workflows/other/grants/granted`,
      { verbs: ['own'] },
      { token: tokens['project-admin'] },
    );
    expect(badVerb.status).toBe(400);
    expect(badVerb.body.issues[0].path).toMatch(/^body\.verbs/);

    await engine.api('DELETE', `/api/v1/projects/${P}/workflows/other/grants/granted`, undefined, {
      token: tokens['project-admin'],
    });
    expect((await engine.api('GET', url, undefined, { token: tokens.granted })).status).toBe(403);

    await engine.api('PUT', `/api/v1/projects/${P}/members/outsider`, { role: 'viewer' });
    expect((await engine.api('GET', url, undefined, { token: tokens.outsider })).status).toBe(200);
    const members = await engine.api('GET', `/api/v1/projects/${P}/members`, undefined, { token: tokens.viewer });
    expect(members.body.members.map((m: { username: string; role: string }) => `${m.username}:${m.role}`)).toEqual([
      'member:member',
      'outsider:viewer',
      'project-admin:admin',
      'viewer:viewer',
    ]);
    await engine.api('DELETE', `/api/v1/projects/${P}/members/outsider`);
    expect((await engine.api('GET', url, undefined, { token: tokens.outsider })).status).toBe(403);
  });

  it('approving is decided by the approver list, not by the role', async () => {
    await engine.defineWorkflow({
      name: 'gated',
      project: P,
      stages: [
        {
          name: 'approve',
          jobs: [
            {
              name: 'approve',
              type: 'approval',
              spec: { native_approval: { approve_users: [{ user_name: 'viewer' }], needed_approvers: 1 } },
            },
          ],
        },
        { name: 'after', jobs: [{ name: 'after', type: 'freestyle', spec: { script: 'true' } }] },
      ],
    });
    const started = await engine.api(
      'POST',
      `/api/v1/projects/${P}/workflows/gated/runs`,
      {},
      { token: tokens.member },
    );
    expect(started.status).toBe(201);
    const n = started.body.run_number as number;
    await engine.waitForRun(P, 'gated', n, (r) => job(r, 'approve').status === 'wait_for_approval');
    const approve = (role: Role) =>
      engine.api(
        'POST',
        `/api/v1/projects/${P}/workflows/gated/runs/${n}/approvals`,
        { job: 'approve', approve: true },
        { token: tokens[role] },
      );
    // The project admin may do anything with the workflow except vote in someone else's place.
    expect((await approve('project-admin')).status).toBe(403);
    expect((await approve('viewer')).status).toBe(200);
    const run = await engine.waitForStatus(P, 'gated', n, 'passed');
    expect(job(run, 'approve').approval.votes.map((v: { user: string }) => v.user)).toEqual(['viewer']);
  });

  it('reads need a token too, and a wrong one is refused', async () => {
    const url = `/api/v1/projects/${P}/workflows`;
    expect((await engine.api('GET', url, undefined, { token: null })).status).toBe(401);
    expect((await engine.api('GET', url, undefined, { token: 'scs_forged' })).status).toBe(401);
  });
});
