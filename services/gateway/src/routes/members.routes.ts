import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  getUserByName,
  listProjectMembers,
  listWorkflowGrants,
  removeProjectRole,
  removeWorkflowGrant,
  setProjectRole,
  setWorkflowGrant,
  PROJECT_ROLES,
  WORKFLOW_GRANT_VERBS,
  type ProjectRole,
  type UserRow,
  type WorkflowGrantVerb,
} from '@stagecoach/db';
import { NotFoundError } from '@stagecoach/platform';
import { access, inProject } from '../access/rules.js';
import type { GatewayDeps } from '../deps.js';
import { findProject, findWorkflow } from '../lookups.js';
import { errorResponses, Key, ProjectParams, WorkflowParams, Username } from '../schemas.js';

const Role = Type.Unsafe<ProjectRole>({ type: 'string', enum: [...PROJECT_ROLES] });
const GrantVerb = Type.Unsafe<WorkflowGrantVerb>({ type: 'string', enum: [...WORKFLOW_GRANT_VERBS] });
const MemberParams = Type.Object({ project: Key, username: Username });
const GrantParams = Type.Object({ ...WorkflowParams.properties, username: Username });
const Member = Type.Object({
  username: Type.String(),
  role: Role,
  granted_by: Type.String(),
  granted_at: Type.String(),
});
const Grant = Type.Object({
  username: Type.String(),
  verbs: Type.Array(GrantVerb),
  granted_by: Type.String(),
  granted_at: Type.String(),
});

/**
 * Who may do what in a project (Zadig §6.2): a role per member (admin, member, viewer), and verbs
 * on single workflows for people who need more than their role, or have none. Project admins manage
 * both; members of the project may see who the members are.
 */
export const memberRoutes: FastifyPluginAsyncTypebox<{ deps: GatewayDeps }> = async (app, { deps }) => {
  const tags = ['members'];
  const userNamed = async (username: string): Promise<UserRow> => {
    const user = await getUserByName(deps.db, username);
    if (!user) throw new NotFoundError(`no user "${username}"`);
    return user;
  };

  app.get(
    '/projects/:project/members',
    {
      config: access(inProject('view')),
      schema: {
        tags,
        params: ProjectParams,
        response: { 200: Type.Object({ members: Type.Array(Member) }), ...errorResponses },
      },
    },
    async (request) => {
      await findProject(deps.db, request.params.project);
      const rows = await listProjectMembers(deps.db, request.params.project);
      return {
        members: rows.map((m) => ({
          username: m.username,
          role: m.role,
          granted_by: m.grantedBy,
          granted_at: m.grantedAt.toISOString(),
        })),
      };
    },
  );

  app.put(
    '/projects/:project/members/:username',
    {
      config: access(inProject('manage')),
      schema: {
        tags,
        description: 'Gives a user a role in the project, or changes it.',
        params: MemberParams,
        body: Type.Object({ role: Role }, { additionalProperties: false }),
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { project, username } = request.params;
      await findProject(deps.db, project);
      const user = await userNamed(username);
      await setProjectRole(deps.db, { project, userId: user.id, role: request.body.role, grantedBy: request.caller! });
      return reply.code(204).send(null);
    },
  );

  app.delete(
    '/projects/:project/members/:username',
    {
      config: access(inProject('manage')),
      schema: { tags, params: MemberParams, response: { 204: Type.Null(), ...errorResponses } },
    },
    async (request, reply) => {
      const { project, username } = request.params;
      const user = await userNamed(username);
      if (!(await removeProjectRole(deps.db, project, user.id))) {
        throw new NotFoundError(`"${username}" has no role in project "${project}"`);
      }
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/projects/:project/workflows/:name/grants',
    {
      config: access(inProject('manage')),
      schema: {
        tags,
        params: WorkflowParams,
        response: { 200: Type.Object({ grants: Type.Array(Grant) }), ...errorResponses },
      },
    },
    async (request) => {
      const { project, name } = request.params;
      await findWorkflow(deps.db, project, name);
      const rows = await listWorkflowGrants(deps.db, project, name);
      return {
        grants: rows.map((g) => ({
          username: g.username,
          verbs: g.verbs,
          granted_by: g.grantedBy,
          granted_at: g.grantedAt.toISOString(),
        })),
      };
    },
  );

  app.put(
    '/projects/:project/workflows/:name/grants/:username',
    {
      config: access(inProject('manage')),
      schema: {
        tags,
        description: 'Sets the verbs a user holds on this workflow, whatever their project role.',
        params: GrantParams,
        body: Type.Object(
          { verbs: Type.Array(GrantVerb, { minItems: 1, uniqueItems: true }) },
          { additionalProperties: false },
        ),
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { project, name, username } = request.params;
      await findWorkflow(deps.db, project, name);
      const user = await userNamed(username);
      await setWorkflowGrant(deps.db, {
        project,
        workflow: name,
        userId: user.id,
        verbs: request.body.verbs,
        grantedBy: request.caller!,
      });
      return reply.code(204).send(null);
    },
  );

  app.delete(
    '/projects/:project/workflows/:name/grants/:username',
    {
      config: access(inProject('manage')),
      schema: { tags, params: GrantParams, response: { 204: Type.Null(), ...errorResponses } },
    },
    async (request, reply) => {
      const { project, name, username } = request.params;
      const user = await userNamed(username);
      if (!(await removeWorkflowGrant(deps.db, { project, workflow: name, userId: user.id }))) {
        throw new NotFoundError(`"${username}" holds no grant on workflow "${project}/${name}"`);
      }
      return reply.code(204).send(null);
    },
  );
};
