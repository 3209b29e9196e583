import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  deleteWorkflow,
  getWorkflowVersion,
  getWorkflow,
  listWorkflows,
  listTriggers,
  listWorkflowVersions,
  upsertWorkflow,
  withTransaction,
  addWorkflowToView,
  getView,
  type Db,
  type WorkflowRow,
  type WorkflowVersionRow,
} from '@stagecoach/db';
import { NotFoundError, ValidationError } from '@stagecoach/platform';
import { validateDefinition, workflowJsonSchema, type SpecIssue, type WorkflowDefinition } from '@stagecoach/spec';
import { loadDefinition } from '@stagecoach/spec/load';
import { deleteTimerSchedule } from '@stagecoach/triggers';
import { canSee, type Visibility } from '../access/policy.js';
import type { GatewayDeps } from '../deps.js';
import { findProject, findWorkflow } from '../lookups.js';
import { isAllView, workflowsOfView } from './views.routes.js';
import { errorResponses, WorkflowParams, ProjectParams, SerialNumber } from '../schemas.js';
import { SIGNED_IN, access, inProject } from '../access/rules.js';

const WorkflowBody = Type.Object({
  project: Type.String(),
  name: Type.String(),
  display_name: Type.String(),
  version: Type.Integer(),
  disabled: Type.Boolean(),
  updated_by: Type.String(),
  updated_at: Type.String(),
  definition: Type.Unknown(),
});

const VersionSummary = Type.Object({ version: Type.Integer(), created_by: Type.String(), created_at: Type.String() });
const versionSummary = (v: WorkflowVersionRow) => ({
  version: v.version,
  created_by: v.createdBy,
  created_at: v.createdAt.toISOString(),
});

const toBody = (row: WorkflowRow) => ({
  project: row.project,
  name: row.name,
  display_name: row.displayName,
  version: row.version,
  disabled: row.disabled,
  updated_by: row.updatedBy,
  updated_at: row.updatedAt.toISOString(),
  definition: row.definition,
});

/** A definition arrives as YAML text or as parsed JSON; either way every problem is reported with its path. */
export function parseDefinition(body: unknown): WorkflowDefinition {
  const result = typeof body === 'string' ? loadDefinition(body) : validateDefinition(body);
  if (!result.ok) throw new ValidationError('invalid workflow definition', result.issues);
  return result.value;
}

export interface SaveWorkflowInput {
  project: string;
  /** the workflow key the caller addresses; the definition's `name` must equal it */
  name: string;
  definition: WorkflowDefinition;
  user: string;
  /** a view the workflow joins as well (`All` or absent: none); an unknown view saves nothing */
  view?: string;
  /** `create`: refuse (409) if it exists; `update`: refuse (404) if it does not; default: either */
  mode?: 'create' | 'update';
}

/**
 * Saves a definition under project/name (a new version each time), the one way the REST and the
 * Zadig OpenAPI routes write workflows. Returns the row and whether the workflow existed before.
 */
export async function saveWorkflow(
  deps: Pick<GatewayDeps, 'db'>,
  input: SaveWorkflowInput,
): Promise<{ row: WorkflowRow; existed: boolean }> {
  const { project, name, definition } = input;
  const issues: SpecIssue[] = [];
  if (definition.name !== name)
    issues.push({ path: 'name', message: `must equal the workflow key it is saved under ("${name}")` });
  if (definition.project !== project)
    issues.push({ path: 'project', message: `must equal the project it is saved in ("${project}")` });
  if (issues.length > 0) throw new ValidationError('invalid workflow definition', issues);
  await findProject(deps.db, project);
  const view = input.view && !isAllView(input.view) ? input.view : undefined;
  const viewRow = view ? await getView(deps.db, project, view) : undefined;
  if (view && !viewRow) throw new NotFoundError(`view "${view}" of project "${project}" not found`);
  if (input.mode === 'update' && !(await getWorkflow(deps.db, project, name)))
    throw new NotFoundError(`workflow "${project}/${name}" not found`);
  const row = await withTransaction(deps.db, async (tx) => {
    const saved = await upsertWorkflow(tx, {
      project,
      name,
      definition,
      user: input.user,
      ...(input.mode === 'create' ? { expectedVersion: 0 } : {}),
    });
    if (viewRow) await addWorkflowToView(tx, viewRow.id, saved.id);
    return saved;
  });
  // Version 1 is the save that created the row: of concurrent first saves of a key, one created it.
  return { row, existed: row.version > 1 };
}

/** Deletes a workflow: its timer schedules first (the trigger rows go with it by cascade), then the row. */
export async function removeWorkflow(deps: Pick<GatewayDeps, 'db' | 'temporal'>, project: string, name: string) {
  const workflow = await findWorkflow(deps.db, project, name);
  for (const timer of await listTriggers(deps.db, workflow.id, 'timer'))
    await deleteTimerSchedule(deps.temporal, timer.id);
  await deleteWorkflow(deps.db, project, name);
}

/** The project's workflows (or one view's, `All`: every one) that the caller may see. */
export async function listVisibleWorkflows(
  db: Db,
  project: string,
  view: string | undefined,
  visibility: Visibility,
): Promise<WorkflowRow[]> {
  await findProject(db, project);
  const rows = view ? await workflowsOfView(db, project, view) : await listWorkflows(db, project);
  return rows.filter((row) => canSee(visibility, row.name));
}

export const workflowRoutes: FastifyPluginAsyncTypebox<{ deps: GatewayDeps }> = async (app, { deps }) => {
  app.put(
    '/projects/:project/workflows/:name',
    {
      config: access(inProject('edit')),
      schema: {
        tags: ['workflows'],
        description:
          'Create or update a workflow from a Zadig custom-workflow (v4) definition, YAML or JSON. Every save keeps a version.',
        params: WorkflowParams,
        querystring: Type.Object({ view: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })) }),
        response: { 200: WorkflowBody, 201: WorkflowBody, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { project, name } = request.params;
      // Saved while a view is selected, the workflow joins that view too; an unknown view saves nothing.
      const { row, existed } = await saveWorkflow(deps, {
        project,
        name,
        definition: parseDefinition(request.body),
        user: request.caller!,
        view: request.query.view,
      });
      return reply.status(existed ? 200 : 201).send(toBody(row));
    },
  );

  app.get(
    '/projects/:project/workflows/:name',
    {
      config: access(inProject('view')),
      schema: { tags: ['workflows'], params: WorkflowParams, response: { 200: WorkflowBody, ...errorResponses } },
    },
    async (request) => toBody(await findWorkflow(deps.db, request.params.project, request.params.name)),
  );

  app.get(
    '/projects/:project/workflows/:name/versions',
    {
      config: access(inProject('view')),
      schema: {
        tags: ['workflows'],
        params: WorkflowParams,
        response: {
          200: Type.Object({
            versions: Type.Array(VersionSummary),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const rows = await listWorkflowVersions(deps.db, request.params.project, request.params.name);
      if (rows.length === 0)
        throw new NotFoundError(`workflow "${request.params.project}/${request.params.name}" not found`);
      return { versions: rows.map(versionSummary) };
    },
  );

  app.get(
    '/projects/:project/workflows/:name/versions/:version',
    {
      config: access(inProject('view')),
      schema: {
        tags: ['workflows'],
        description: 'One saved version of a definition, as it was saved.',
        params: Type.Object({ ...WorkflowParams.properties, version: SerialNumber }),
        response: { 200: Type.Object({ ...VersionSummary.properties, definition: Type.Unknown() }), ...errorResponses },
      },
    },
    async (request) => {
      const { project, name, version } = request.params;
      const row = await getWorkflowVersion(deps.db, project, name, version);
      if (!row) throw new NotFoundError(`workflow "${project}/${name}" has no version ${version}`);
      return { ...versionSummary(row), definition: row.definition };
    },
  );

  app.get(
    '/projects/:project/workflows',
    {
      config: access(inProject('view')),
      schema: {
        tags: ['workflows'],
        description: "The project's workflows; `?view=<name>` lists one view's (`All`: every workflow).",
        params: ProjectParams,
        querystring: Type.Object({ view: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })) }),
        response: { 200: Type.Object({ workflows: Type.Array(WorkflowBody) }), ...errorResponses },
      },
    },
    async (request) => {
      const rows = await listVisibleWorkflows(deps.db, request.params.project, request.query.view, request.visibility!);
      return { workflows: rows.map(toBody) };
    },
  );

  app.delete(
    '/projects/:project/workflows/:name',
    {
      config: access(inProject('edit')),
      schema: { tags: ['workflows'], params: WorkflowParams, response: { 204: Type.Null(), ...errorResponses } },
    },
    async (request, reply) => {
      await removeWorkflow(deps, request.params.project, request.params.name);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/schemas/workflow',
    {
      config: access(SIGNED_IN),
      schema: {
        tags: ['workflows'],
        description: 'JSON Schema of a workflow definition, for editors.',
        response: { 200: Type.Unknown() },
      },
    },
    async () => workflowJsonSchema,
  );

  app.post(
    '/lint',
    {
      config: access(SIGNED_IN),
      schema: {
        tags: ['workflows'],
        description: 'Validate a definition (YAML or JSON) without saving it.',
        response: { 200: Type.Object({ ok: Type.Literal(true), definition: Type.Unknown() }), ...errorResponses },
      },
    },
    async (request) => ({ ok: true as const, definition: parseDefinition(request.body) }),
  );
};
