import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  createView,
  deleteView,
  getView,
  listViews,
  listViewWorkflows,
  listWorkflows,
  renameView,
  setViewWorkflows,
  withTransaction,
  workflowsNamed,
  type DbOrTx,
  type ViewRow,
  type WorkflowRow,
} from '@stagecoach/db';
import { ConflictError, NotFoundError, ValidationError } from '@stagecoach/platform';
import type { SpecIssue } from '@stagecoach/spec';
import { canSee, SEES_ALL, type Visibility } from '../access/policy.js';
import type { GatewayDeps } from '../deps.js';
import { findProject } from '../lookups.js';
import { errorResponses, ProjectParams } from '../schemas.js';
import { access, inProject } from '../access/rules.js';

/** The view every project has: all its workflows. Not stored, not editable. */
export const ALL_VIEW = 'All';

const ViewName = Type.String({ minLength: 1, maxLength: 64, pattern: '^[^/]+$' });
const ViewParams = Type.Object({ ...ProjectParams.properties, view: ViewName });
const ViewBody = Type.Object(
  { name: ViewName, workflows: Type.Array(Type.String({ minLength: 1 }), { uniqueItems: true }) },
  { additionalProperties: false },
);
const ViewView = Type.Object({
  name: Type.String(),
  workflows: Type.Array(Type.String()),
  editable: Type.Boolean(),
  updated_by: Type.Union([Type.String(), Type.Null()]),
  updated_at: Type.Union([Type.String(), Type.Null()]),
});

export const isAllView = (name: string) => name.toLowerCase() === ALL_VIEW.toLowerCase();

export function refuseReservedName(name: string): void {
  if (isAllView(name)) {
    throw new ValidationError('reserved view name', [
      { path: 'name', message: `"${ALL_VIEW}" is every workflow's view` },
    ]);
  }
}

/** A stored view of the project, for a change: `All` cannot be changed (409), an unknown view is 404. */
export async function changeableView(db: DbOrTx, project: string, name: string): Promise<ViewRow> {
  if (isAllView(name)) throw new ConflictError(`the ${ALL_VIEW} view holds every workflow and cannot be changed`);
  const row = await getView(db, project, name);
  if (!row) throw new NotFoundError(`view "${name}" of project "${project}" not found`);
  return row;
}

/**
 * Ids of the named workflows of the project; every unknown name is reported with its index, at
 * `pathOf(index)` (the field the caller sent it in).
 */
export async function viewWorkflowIds(
  db: DbOrTx,
  project: string,
  names: string[],
  pathOf: (index: number) => string = (i) => `workflows[${i}]`,
): Promise<number[]> {
  const found = await workflowsNamed(db, project, names);
  const byName = new Map(found.map((w) => [w.name, w.id]));
  const issues: SpecIssue[] = names
    .map((n, i) => ({ n, i }))
    .filter(({ n }) => !byName.has(n))
    .map(({ n, i }) => ({ path: pathOf(i), message: `no workflow "${n}" in project "${project}"` }));
  if (issues.length > 0) throw new ValidationError('unknown workflows in the view', issues);
  return names.map((n) => byName.get(n)!);
}

/** The workflows a view lists: every workflow for `All`, the view's own otherwise; 404 for an unknown view. */
export async function workflowsOfView(db: DbOrTx, project: string, view: string): Promise<WorkflowRow[]> {
  if (isAllView(view)) return listWorkflows(db, project);
  const row = await getView(db, project, view);
  if (!row) throw new NotFoundError(`view "${view}" of project "${project}" not found`);
  return listViewWorkflows(db, row.id);
}

/**
 * Workflow views (Zadig §6.1): named sets of a project's workflows. `All` is always there, holds
 * every workflow and cannot be created, edited or deleted.
 */
export const viewRoutes: FastifyPluginAsyncTypebox<{ deps: GatewayDeps }> = async (app, { deps }) => {
  const tags = ['views'];
  const viewOf = (project: string, name: string) => changeableView(deps.db, project, name);
  const workflowIds = (db: DbOrTx, project: string, names: string[]) => viewWorkflowIds(db, project, names);
  // Someone who sees only the workflows granted to them sees only those in any view.
  const names = (rows: WorkflowRow[], visibility: Visibility) =>
    rows.map((w) => w.name).filter((name) => canSee(visibility, name));
  const toBody = async (view: ViewRow, visibility: Visibility = SEES_ALL) => ({
    name: view.name,
    workflows: names(await listViewWorkflows(deps.db, view.id), visibility),
    editable: true,
    updated_by: view.updatedBy,
    updated_at: view.updatedAt.toISOString(),
  });
  const allBody = async (project: string, visibility: Visibility) => ({
    name: ALL_VIEW,
    workflows: names(await listWorkflows(deps.db, project), visibility),
    editable: false,
    updated_by: null,
    updated_at: null,
  });

  app.get(
    '/projects/:project/views',
    {
      config: access(inProject('view')),
      schema: { tags, params: ProjectParams, response: { 200: Type.Array(ViewView), ...errorResponses } },
    },
    async (request) => {
      await findProject(deps.db, request.params.project);
      const rows = await listViews(deps.db, request.params.project);
      const visibility = request.visibility!;
      return [
        await allBody(request.params.project, visibility),
        ...(await Promise.all(rows.map((row) => toBody(row, visibility)))),
      ];
    },
  );

  app.get(
    '/projects/:project/views/:view',
    {
      config: access(inProject('view')),
      schema: { tags, params: ViewParams, response: { 200: ViewView, ...errorResponses } },
    },
    async (request) => {
      const { project, view } = request.params;
      await findProject(deps.db, project);
      if (isAllView(view)) return allBody(project, request.visibility!);
      const row = await getView(deps.db, project, view);
      if (!row) throw new NotFoundError(`view "${view}" of project "${project}" not found`);
      return toBody(row, request.visibility!);
    },
  );

  app.post(
    '/projects/:project/views',
    {
      config: access(inProject('manage')),
      schema: { tags, params: ProjectParams, body: ViewBody, response: { 201: ViewView, ...errorResponses } },
    },
    async (request, reply) => {
      const { project } = request.params;
      await findProject(deps.db, project);
      refuseReservedName(request.body.name);
      const row = await withTransaction(deps.db, async (tx) => {
        const ids = await workflowIds(tx, project, request.body.workflows);
        const created = await createView(tx, { project, name: request.body.name, user: request.caller! });
        await setViewWorkflows(tx, created.id, ids);
        return created;
      });
      return reply.status(201).send(await toBody(row));
    },
  );

  app.put(
    '/projects/:project/views/:view',
    {
      config: access(inProject('manage')),
      schema: {
        tags,
        description: 'Rename the view and set its workflows.',
        params: ViewParams,
        body: ViewBody,
        response: { 200: ViewView, ...errorResponses },
      },
    },
    async (request) => {
      const { project, view } = request.params;
      const row = await viewOf(project, view);
      refuseReservedName(request.body.name);
      await withTransaction(deps.db, async (tx) => {
        const ids = await workflowIds(tx, project, request.body.workflows);
        if (request.body.name !== row.name) await renameView(tx, row.id, request.body.name, request.caller!);
        await setViewWorkflows(tx, row.id, ids);
      });
      return toBody((await getView(deps.db, project, request.body.name))!);
    },
  );

  app.delete(
    '/projects/:project/views/:view',
    {
      config: access(inProject('manage')),
      schema: { tags, params: ViewParams, response: { 204: Type.Null(), ...errorResponses } },
    },
    async (request, reply) => {
      const row = await viewOf(request.params.project, request.params.view);
      await deleteView(deps.db, row.id);
      return reply.status(204).send(null);
    },
  );
};
