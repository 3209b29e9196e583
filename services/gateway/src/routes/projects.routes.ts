import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { createProject, listProjects, projectsVisibleTo } from '@stagecoach/db';
import type { GatewayDeps } from '../deps.js';
import { errorResponses, Key } from '../schemas.js';
import { SIGNED_IN, SYSTEM_ADMIN, access } from '../access/rules.js';

const Project = Type.Object({ name: Type.String(), display_name: Type.String(), created_at: Type.String() });

export const projectRoutes: FastifyPluginAsyncTypebox<{ deps: GatewayDeps }> = async (app, { deps }) => {
  app.post(
    '/projects',
    {
      config: access(SYSTEM_ADMIN),
      schema: {
        tags: ['projects'],
        body: Type.Object(
          { name: Key, display_name: Type.Optional(Type.String({ maxLength: 200 })) },
          { additionalProperties: false },
        ),
        response: { 201: Project, ...errorResponses },
      },
    },
    async (request, reply) => {
      const row = await createProject(deps.db, {
        name: request.body.name,
        displayName: request.body.display_name || request.body.name,
      });
      return reply
        .status(201)
        .send({ name: row.name, display_name: row.displayName, created_at: row.createdAt.toISOString() });
    },
  );

  app.get(
    '/projects',
    {
      config: access(SIGNED_IN),
      schema: { tags: ['projects'], response: { 200: Type.Object({ projects: Type.Array(Project) }) } },
    },
    async (request) => {
      const principal = request.principal!;
      // Everyone else sees the projects they hold a role or a workflow grant in.
      const visible = principal.systemAdmin ? undefined : await projectsVisibleTo(deps.db, principal.user!.id);
      const rows = (await listProjects(deps.db)).filter((r) => !visible || visible.has(r.name));
      return {
        projects: rows.map((r) => ({
          name: r.name,
          display_name: r.displayName,
          created_at: r.createdAt.toISOString(),
        })),
      };
    },
  );
};
