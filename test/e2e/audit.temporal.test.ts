import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '@stagecoach/testkit';

let engine: Engine;
beforeAll(async () => {
  engine = await Engine.start({ inProcessWorker: false });
});
afterAll(async () => {
  await engine?.stop();
});

describe('audit log', () => {
  it('records every mutating call with who, what, when and from where, readable by admins only', async () => {
    const started = Date.now();
    await engine.api('POST', '/api/v1/projects', { name: 'audited' }, { user: 'alice' });
    await engine.defineWorkflow({
      name: 'wf',
      project: 'audited',
      stages: [{ name: 's', jobs: [{ name: 'j', type: 'freestyle', spec: { script: 'true' } }] }],
    });
    await engine.api('POST', '/api/v1/projects', { name: 'bad name!' }, { user: 'bob' });
    await engine.api('DELETE', '/api/v1/projects/audited/workflows/wf', undefined, { token: 'wrong-token' });
    await engine.api('GET', '/api/v1/projects/audited/workflows/wf');

    expect((await engine.api('GET', '/api/v1/audit', undefined, { token: null })).status).toBe(401);
    const all = (await engine.api('GET', '/api/v1/audit')).body.entries;
    expect(all.map((e: any) => [e.actor, e.method, e.route, e.status])).toEqual([
      ['anonymous', 'DELETE', '/api/v1/projects/:project/workflows/:name', 401],
      ['bob', 'POST', '/api/v1/projects', 400],
      ['alice', 'PUT', '/api/v1/projects/:project/workflows/:name', 201],
      ['alice', 'POST', '/api/v1/projects', 409],
      ['alice', 'POST', '/api/v1/projects', 201],
    ]);
    expect(all[0].params).toEqual({ project: 'audited', name: 'wf' });
    expect(all[0].ip).toBe('127.0.0.1');
    expect(all[0].user_agent).toBe('lightMyRequest');
    expect(Date.parse(all[4].at)).toBeGreaterThanOrEqual(started - 1000);

    const page = (await engine.api('GET', `/api/v1/audit?limit=2&before=${all[1].id}`)).body.entries;
    expect(page.map((e: any) => e.id)).toEqual([all[2].id, all[3].id]);
    const bobs = (await engine.api('GET', '/api/v1/audit?actor=bob')).body.entries;
    expect(bobs).toHaveLength(1);
    const ofProject = (await engine.api('GET', '/api/v1/audit?project=audited')).body.entries;
    expect(ofProject.map((e: any) => e.method)).toEqual(['DELETE', 'PUT']);
  });
});
