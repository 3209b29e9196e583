import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { GatewayDeps } from '../deps.js';
import { findWorkflow } from '../lookups.js';
import { listVisibleWorkflows, parseDefinition, removeWorkflow, saveWorkflow } from '../routes/workflows.routes.js';
import { Key } from '../schemas.js';
import { Success, SUCCESS, zadigErrorResponses } from './errors.js';
import { WorkflowBrief, workflowBrief, WorkflowDetail, workflowDetail } from './shapes.js';
import { byDefinitionProject, byProjectKey, savedProject } from './targets.js';

const tags = ['zadig-openapi'];
const WorkflowKeyParams = Type.Object({ name: Key });
/** Zadig's CreateWorkflowV4/UpdateWorkflowV4 take `?projectName=`; `projectKey` is accepted as the OpenAPI spells it. */
const SaveQuery = Type.Object({
  projectName: Type.Optional(Key),
  projectKey: Type.Optional(Key),
  viewName: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
});

/** Zadig OpenAPI: custom workflow definitions (list, detail, create, update, delete). */
export const zadigWorkflowRoutes: FastifyPluginAsyncTypebox<{ deps: GatewayDeps }> = async (app, { deps }) => {
  app.get(
    '/workflows',
    {
      config: byProjectKey('view'),
      schema: {
        tags,
        description: "Zadig: the project's workflows; `viewName` lists one view's.",
        querystring: Type.Object({ projectKey: Key, viewName: Type.Optional(Type.String({ minLength: 1 })) }),
        response: { 200: Type.Object({ workflows: Type.Array(WorkflowBrief) }), ...zadigErrorResponses },
      },
    },
    async (request) => {
      const { projectKey, viewName } = request.query;
      const rows = await listVisibleWorkflows(deps.db, projectKey, viewName, request.visibility!);
      return { workflows: rows.map(workflowBrief) };
    },
  );

  app.get(
    '/workflows/custom/:name/detail',
    {
      config: byProjectKey('view', true),
      schema: {
        tags,
        params: WorkflowKeyParams,
        querystring: Type.Object({ projectKey: Key }),
        response: { 200: WorkflowDetail, ...zadigErrorResponses },
      },
    },
    async (request) => {
      return workflowDetail(await findWorkflow(deps.db, request.query.projectKey, request.params.name));
    },
  );

  app.post(
    '/workflows/custom',
    {
      config: byDefinitionProject('edit'),
      schema: {
        tags,
        description:
          'Zadig: create a custom workflow from its YAML (the body; JSON is accepted too). The project is ' +
          "`?projectName=` (or `projectKey`), else the definition's `project`; `viewName` adds it to a view.",
        querystring: SaveQuery,
        response: { 200: Success, ...zadigErrorResponses },
      },
    },
    async (request) => {
      const definition = parseDefinition(request.body);
      await saveWorkflow(deps, {
        // what the access check was for; a definition naming another project is refused
        project: savedProject(request)!,
        name: definition.name,
        definition,
        user: request.caller!,
        view: request.query.viewName,
        mode: 'create',
      });
      return SUCCESS;
    },
  );

  app.put(
    '/workflows/custom/:name',
    {
      config: byDefinitionProject('edit'),
      schema: {
        tags,
        description: 'Zadig: replace a custom workflow with this YAML (or JSON); every save keeps a version.',
        params: WorkflowKeyParams,
        querystring: SaveQuery,
        response: { 200: Success, ...zadigErrorResponses },
      },
    },
    async (request) => {
      const definition = parseDefinition(request.body);
      await saveWorkflow(deps, {
        project: savedProject(request)!,
        name: request.params.name,
        definition,
        user: request.caller!,
        view: request.query.viewName,
        mode: 'update',
      });
      return SUCCESS;
    },
  );

  app.delete(
    '/workflows/custom',
    {
      config: byProjectKey('edit', true),
      schema: {
        tags,
        querystring: Type.Object({ workflowKey: Key, projectKey: Key }),
        response: { 200: Success, ...zadigErrorResponses },
      },
    },
    async (request) => {
      await removeWorkflow(deps, request.query.projectKey, request.query.workflowKey);
      return SUCCESS;
    },
  );
};
