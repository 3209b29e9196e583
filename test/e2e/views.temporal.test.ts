import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '@stagecoach/testkit';

const P = 'viewed';
let engine: Engine;
beforeAll(async () => {
  engine = await Engine.start({ inProcessWorker: false });
  await engine.api('POST', '/api/v1/projects', { name: P });
  for (const name of ['api', 'web', 'batch']) {
    await engine.defineWorkflow({
      name,
      project: P,
      stages: [{ name: 's', jobs: [{ name: 'j', type: 'freestyle', spec: { script: 'true' } }] }],
    });
  }
});
afterAll(async () => {
  await engine?.stop();
});

const views = `/api/v1/projects/${P}/views`;
const names = (body: { workflows: { name: string }[] }) => body.workflows.map((w) => w.name);

describe('workflow views', () => {
  it('are named sets of workflows, created, listed, replaced and deleted; All is every workflow', async () => {
    const created = await engine.api('POST', views, { name: 'services', workflows: ['web', 'api'] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'services',
      workflows: ['api', 'web'],
      editable: true,
      updated_by: 'alice',
    });

    const listed = await engine.api('GET', views);
    expect(listed.body.map((v: any) => [v.name, v.workflows, v.editable])).toEqual([
      ['All', ['api', 'batch', 'web'], false],
      ['services', ['api', 'web'], true],
    ]);
    expect(names((await engine.api('GET', `/api/v1/projects/${P}/workflows?view=services`)).body)).toEqual([
      'api',
      'web',
    ]);
    expect(names((await engine.api('GET', `/api/v1/projects/${P}/workflows?view=All`)).body)).toEqual([
      'api',
      'batch',
      'web',
    ]);

    const replaced = await engine.api('PUT', `${views}/services`, { name: 'backend', workflows: ['batch'] });
    expect(replaced.body).toMatchObject({ name: 'backend', workflows: ['batch'] });
    expect((await engine.api('GET', `${views}/services`)).status).toBe(404);

    // Deleting a workflow takes it out of its views.
    await engine.defineWorkflow({
      name: 'tmp',
      project: P,
      stages: [{ name: 's', jobs: [{ name: 'j', type: 'freestyle', spec: { script: 'true' } }] }],
    });
    await engine.api('PUT', `${views}/backend`, { name: 'backend', workflows: ['batch', 'tmp'] });
    await engine.api('DELETE', `/api/v1/projects/${P}/workflows/tmp`);
    expect((await engine.api('GET', `${views}/backend`)).body.workflows).toEqual(['batch']);

    expect((await engine.api('DELETE', `${views}/backend`)).status).toBe(204);
    expect((await engine.api('GET', views)).body.map((v: any) => v.name)).toEqual(['All']);
  });

  it('refuse to touch All, unknown workflows, duplicates and unknown views, saving nothing', async () => {
    expect((await engine.api('POST', views, { name: 'All', workflows: [] })).status).toBe(400);
    expect((await engine.api('PUT', `${views}/All`, { name: 'All', workflows: ['api'] })).status).toBe(409);
    expect((await engine.api('DELETE', `${views}/all`)).status).toBe(409);
    const unknown = await engine.api('POST', views, { name: 'x', workflows: ['api', 'nope', 'gone'] });
    expect(unknown.status).toBe(400);
    expect(unknown.body.issues.map((i: any) => i.path)).toEqual(['workflows[1]', 'workflows[2]']);
    expect((await engine.api('GET', `${views}/x`)).status).toBe(404);
    expect((await engine.api('POST', views, { name: 'front', workflows: ['web'] })).status).toBe(201);
    expect((await engine.api('POST', views, { name: 'front', workflows: [] })).status).toBe(409);
    expect((await engine.api('GET', `/api/v1/projects/${P}/workflows?view=missing`)).status).toBe(404);
  });

  it('take a workflow saved while the view is selected (?view=), and an unknown view saves nothing', async () => {
    const definition = {
      name: 'mobile',
      project: P,
      stages: [{ name: 's', jobs: [{ name: 'j', type: 'freestyle', spec: { script: 'true' } }] }],
    };
    const saved = await engine.api('PUT', `/api/v1/projects/${P}/workflows/mobile?view=front`, definition);
    expect(saved.status).toBe(201);
    expect((await engine.api('GET', `${views}/front`)).body.workflows).toEqual(['mobile', 'web']);

    const lost = await engine.api('PUT', `/api/v1/projects/${P}/workflows/desktop?view=nowhere`, {
      ...definition,
      name: 'desktop',
    });
    expect(lost.status).toBe(404);
    expect((await engine.api('GET', `/api/v1/projects/${P}/workflows/desktop`)).status).toBe(404);
  });
});
