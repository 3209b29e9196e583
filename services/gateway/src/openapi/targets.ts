import type { FastifyInstance, FastifyRequest } from 'fastify';
import { projectsVisibleTo, projectsWithWorkflow, type Db } from '@stagecoach/db';
import { strictJsonParser } from '@stagecoach/http';
import { NotFoundError, ValidationError } from '@stagecoach/platform';
import type { Principal } from '../access/authenticate.js';
import type { Verb } from '../access/policy.js';
import { access, type AccessRule, type AccessTarget } from '../access/rules.js';

/**
 * Access rules of the Zadig OpenAPI routes. Zadig names the project in the query (`projectKey`,
 * `projectName` for workflow create/update) or in the body (`project_key`), and a few routes do
 * not name it at all (task detail and cancel by `workflowKey` + `taskId`, approve by
 * `workflow_key`, retry): there the workflow key is looked up among the projects the caller can
 * see, and an ambiguous key asks for the project by the route's own field name.
 */

type Fields = Record<string, unknown>;

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const fieldsOf = (v: unknown): Fields => (typeof v === 'object' && v !== null ? (v as Fields) : {});
const queryOf = (request: FastifyRequest) => fieldsOf(request.query);
const paramsOf = (request: FastifyRequest) => fieldsOf(request.params);

function targetOf(project: unknown, workflow?: unknown): AccessTarget | undefined {
  const p = text(project);
  if (!p) return undefined;
  const w = text(workflow);
  return w ? { project: p, workflow: w } : { project: p };
}

/** Route options' `config` for a rule and the Zadig field that names its project. */
const config = (rule: AccessRule, zadigProjectField: string, lookup?: 'query' | 'body') => ({
  ...access(rule),
  zadigProjectField,
  ...(lookup ? { zadigLookup: lookup } : {}),
});

/** `verb` in the project of `?projectKey=`, on the workflow of `:name` (or `?workflowKey=`) when `onWorkflow`. */
export const byProjectKey = (verb: Verb, onWorkflow = false) =>
  config(
    {
      kind: 'project',
      verb,
      target: (r) =>
        targetOf(queryOf(r).projectKey, onWorkflow ? (paramsOf(r).name ?? queryOf(r).workflowKey) : undefined),
    },
    'projectKey',
  );

/** `verb` in the body's `project_key` (on its `workflow_key` when `onWorkflow`); checked once the body is parsed. */
export const byBodyProjectKey = (verb: Verb, onWorkflow = false) =>
  config(
    {
      kind: 'project',
      verb,
      fromBody: true,
      target: (r) => {
        const body = fieldsOf(r.body);
        return targetOf(body.project_key, onWorkflow ? body.workflow_key : undefined);
      },
    },
    'project_key',
  );

/**
 * The project of a definition being saved: Zadig's `?projectName=` (CreateWorkflowV4/UpdateWorkflowV4),
 * `?projectKey=` as every other OpenAPI route spells it, else the definition's own top-level `project`
 * (JSON, or a YAML `project:` line). The handler insists the definition says the same project.
 */
export const byDefinitionProject = (verb: Verb) =>
  config(
    { kind: 'project', verb, fromBody: true, target: (r) => targetOf(savedProject(r), paramsOf(r).name) },
    'projectName',
  );

/** The project a definition is saved to; the handler saves there exactly what the access check was for. */
export function savedProject(request: FastifyRequest): string | undefined {
  const query = queryOf(request);
  return text(query.projectName) ?? text(query.projectKey) ?? definitionProject(request.body);
}

function definitionProject(body: unknown): string | undefined {
  if (typeof body !== 'string') return text(fieldsOf(body).project);
  if (body.trimStart().startsWith('{')) {
    try {
      return text(fieldsOf(JSON.parse(body)).project);
    } catch {
      return undefined;
    }
  }
  return /^project:[ \t]*(["']?)([A-Za-z0-9-]+)\1[ \t]*(?:#.*)?$/m.exec(body)?.[2];
}

/** Targets of routes whose project had to be looked up, per request. */
const resolved = new WeakMap<FastifyRequest, AccessTarget>();

/**
 * `verb` on a workflow named by key only: `?projectKey=` when given, else the one project the caller
 * can see that holds the key. The check waits (as for a body target) until the lookup has run.
 */
export const byWorkflowKey = (verb: Verb, from: 'query' | 'body') =>
  config(
    { kind: 'project', verb, fromBody: true, target: (r) => resolved.get(r) },
    from === 'query' ? 'projectKey' : 'project_key',
    from,
  );

/** The project and workflow a `byWorkflowKey` route acts on, as its access check saw them. */
export function lookedUp(request: FastifyRequest): { project: string; workflow: string } {
  const target = resolved.get(request);
  if (!target?.workflow) throw new Error(`${request.routeOptions.url} resolved no workflow`);
  return { project: target.project, workflow: target.workflow };
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** where a `byWorkflowKey` route names its workflow (and optionally its project) */
    zadigLookup?: 'query' | 'body';
  }
}

/**
 * The project holding workflow `key` among those where the caller may see it (every project for a
 * system admin). A key the caller cannot see reads as unknown, so the answer tells nothing of other
 * projects, nor of the workflows beside the one a grant shows them.
 */
async function projectOfWorkflow(db: Db, principal: Principal, key: string, field: string): Promise<string> {
  const holders = await projectsWithWorkflow(db, key);
  const visible = principal.systemAdmin ? undefined : await projectsVisibleTo(db, principal.user!.id, key);
  const candidates = visible ? holders.filter((p) => visible.has(p)) : holders;
  if (candidates.length === 0) {
    throw new NotFoundError(`workflow "${key}" not found`);
  }
  if (candidates.length > 1) {
    throw new ValidationError(`workflow key "${key}" is used in more than one project: name the project`, [
      { path: field, message: `required: "${key}" is in projects ${candidates.join(', ')}` },
    ]);
  }
  return candidates[0]!;
}

/**
 * Resolves `byWorkflowKey` targets before the access check: query routes as the request arrives
 * (after authentication), body routes as the JSON body is parsed (the parser of this scope wraps
 * Fastify's own, so syntax errors and prototype poisoning are refused as everywhere else).
 */
export function registerWorkflowKeyLookup(app: FastifyInstance, db: Db): void {
  const resolve = async (request: FastifyRequest, fields: Fields, workflowField: string, projectField: string) => {
    const workflow = text(fields[workflowField]);
    if (!workflow) {
      throw new ValidationError(`${workflowField} is required`, [{ path: workflowField, message: 'required' }]);
    }
    const project =
      text(fields[projectField]) ?? (await projectOfWorkflow(db, request.principal!, workflow, projectField));
    resolved.set(request, { project, workflow });
  };

  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config.zadigLookup !== 'query') return;
    const query = queryOf(request);
    // Retry names the workflow in the path (`/custom/:name/task/:taskId`), the others in `?workflowKey=`.
    const workflowKey = text(paramsOf(request).name) ?? query.workflowKey;
    await resolve(request, { ...query, workflowKey }, 'workflowKey', 'projectKey');
  });

  const parseJson = strictJsonParser(app);
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    void parseJson(request, body as string, (err, parsed: unknown) => {
      if (err || request.routeOptions.config.zadigLookup !== 'body') return done(err, parsed);
      resolve(request, fieldsOf(parsed), 'workflow_key', 'project_key').then(
        () => done(null, parsed),
        (lookupErr: Error) => done(lookupErr, undefined),
      );
    });
  });
}
