import { Type, type FastifyPluginAsyncTypebox, type Static } from '@fastify/type-provider-typebox';
import {
  createView,
  deleteView,
  listViews,
  listViewWorkflows,
  renameView,
  setViewWorkflows,
  withTransaction,
} from '@stagecoach/db';
import { ValidationError } from '@stagecoach/platform';
import type { SpecIssue } from '@stagecoach/spec';
import { canSee } from '../access/policy.js';
import type { GatewayDeps } from '../deps.js';
import { findProject } from '../lookups.js';
import { changeableView, refuseReservedName, viewWorkflowIds } from '../routes/views.routes.js';
import { Key } from '../schemas.js';
import { Success, SUCCESS, zadigErrorResponses } from './errors.js';
import { ViewBrief, viewBrief } from './shapes.js';
import { byBodyProjectKey, byProjectKey } from './targets.js';

const tags = ['zadig-openapi'];
const ViewName = Type.String({ minLength: 1, maxLength: 64, pattern: '^[^/]+$' });

/** OpenAPIWorkflowViewDetail: Zadig lists `custom` and `product` workflows; `enabled` counts on update only. */
const WorkflowList = Type.Array(
  Type.Object({
    workflow_key: Type.String({ minLength: 1 }),
    workflow_name: Type.Optional(Type.String()),
    workflow_type: Type.String(),
    enabled: Type.Optional(Type.Boolean()),
  }),
);
type WorkflowList = Static<typeof WorkflowList>;

/** Zadig refuses any type but custom and product; Stagecoach has no product workflows to list. */
function checkTypes(list: WorkflowList): void {
  const issues: SpecIssue[] = [];
  list.forEach((w, i) => {
    if (w.workflow_type !== 'custom') {
      issues.push({
        path: `workflow_list[${i}].workflow_type`,
        message:
          w.workflow_type === 'product'
            ? 'product workflows do not exist in Stagecoach; only "custom"'
            : 'must be "custom" or "product"',
      });
    }
  });
  const seen = new Set<string>();
  list.forEach((w, i) => {
    if (seen.has(w.workflow_key)) {
      issues.push({ path: `workflow_list[${i}].workflow_key`, message: `"${w.workflow_key}" is listed twice` });
    }
    seen.add(w.workflow_key);
  });
  if (issues.length > 0) throw new ValidationError('invalid workflow_list', issues);
}

const listPath = (list: WorkflowList, names: string[]) => (i: number) =>
  `workflow_list[${list.findIndex((w) => w.workflow_key === names[i])}].workflow_key`;

/** Zadig OpenAPI: workflow views (named sets of a project's workflows; §6.1). */
export const zadigViewRoutes: FastifyPluginAsyncTypebox<{ deps: GatewayDeps }> = async (app, { deps }) => {
  app.get(
    '/workflows/view',
    {
      config: byProjectKey('view'),
      schema: {
        tags,
        description: "Zadig: the project's stored views (Zadig has no stored `All` view, nor lists one).",
        querystring: Type.Object({ projectKey: Key }),
        response: { 200: Type.Array(ViewBrief), ...zadigErrorResponses },
      },
    },
    async (request) => {
      const { projectKey } = request.query;
      await findProject(deps.db, projectKey);
      const views = await listViews(deps.db, projectKey);
      return Promise.all(
        views.map(async (view) =>
          viewBrief(
            view,
            (await listViewWorkflows(deps.db, view.id))
              .map((w) => w.name)
              .filter((name) => canSee(request.visibility!, name)),
          ),
        ),
      );
    },
  );

  app.post(
    '/workflows/view',
    {
      config: byBodyProjectKey('manage'),
      schema: {
        tags,
        description: 'Zadig: create a view holding every workflow of `workflow_list` (CreateWorkflowViewOpenAPI).',
        body: Type.Object({ project_key: Key, name: ViewName, workflow_list: WorkflowList }),
        response: { 200: Success, ...zadigErrorResponses },
      },
    },
    async (request) => {
      const { project_key: project, name, workflow_list: list } = request.body;
      await findProject(deps.db, project);
      refuseReservedName(name);
      checkTypes(list);
      const names = list.map((w) => w.workflow_key);
      await withTransaction(deps.db, async (tx) => {
        const ids = await viewWorkflowIds(tx, project, names, listPath(list, names));
        const view = await createView(tx, { project, name, user: request.caller! });
        await setViewWorkflows(tx, view.id, ids);
      });
      return SUCCESS;
    },
  );

  app.put(
    '/workflows/view/:name',
    {
      config: byProjectKey('manage'),
      schema: {
        tags,
        description:
          'Zadig: change a view (UpdateWorkflowViewOpenAPI): listed workflows with `enabled: true` join it, ' +
          'with `enabled: false` leave it; workflows not listed stay as they are.',
        params: Type.Object({ name: ViewName }),
        querystring: Type.Object({ projectKey: Key }),
        body: Type.Object({ workflow_list: WorkflowList }),
        response: { 200: Success, ...zadigErrorResponses },
      },
    },
    async (request) => {
      const project = request.query.projectKey;
      const list = request.body.workflow_list;
      checkTypes(list);
      const view = await changeableView(deps.db, project, request.params.name);
      await withTransaction(deps.db, async (tx) => {
        const members = new Set((await listViewWorkflows(tx, view.id)).map((w) => w.name));
        for (const w of list) {
          if (w.enabled) members.add(w.workflow_key);
          else members.delete(w.workflow_key);
        }
        // Unknown keys are refused only where they would join: leaving a view is always possible.
        const joining = list.filter((w) => w.enabled).map((w) => w.workflow_key);
        await viewWorkflowIds(tx, project, joining, listPath(list, joining));
        await setViewWorkflows(tx, view.id, await viewWorkflowIds(tx, project, [...members]));
        // Same name: records who changed the view and when (update_by, update_time).
        await renameView(tx, view.id, view.name, request.caller!);
      });
      return SUCCESS;
    },
  );

  app.delete(
    '/workflows/view/:name',
    {
      config: byProjectKey('manage'),
      schema: {
        tags,
        params: Type.Object({ name: ViewName }),
        querystring: Type.Object({ projectKey: Key }),
        response: { 200: Success, ...zadigErrorResponses },
      },
    },
    async (request) => {
      const view = await changeableView(deps.db, request.query.projectKey, request.params.name);
      await deleteView(deps.db, view.id);
      return SUCCESS;
    },
  );
};
