import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { createImApp, deleteImApp, getImApp, listImApps, updateImApp, type ImAppRow } from '@stagecoach/db';
import { NotFoundError } from '@stagecoach/platform';
import { access, SYSTEM_ADMIN } from '../access/rules.js';
import type { GatewayDeps } from '../deps.js';
import { errorResponses } from '../schemas.js';

const AppKey = Type.String({ pattern: '^[a-zA-Z0-9][a-zA-Z0-9_-]*$', minLength: 1, maxLength: 64 });
const BaseUrl = Type.String({ pattern: '^https?://[^\\s/]+', maxLength: 512 });
const fields = {
  name: Type.String({ minLength: 1, maxLength: 128 }),
  app_id: Type.String({ minLength: 1, maxLength: 128 }),
  app_secret: Type.String({ minLength: 1, maxLength: 512 }),
  base_url: BaseUrl,
};
const CreateBody = Type.Object(
  { id: AppKey, kind: Type.Literal('lark'), ...fields, base_url: Type.Optional(BaseUrl) },
  { additionalProperties: false },
);
const UpdateBody = Type.Partial(Type.Object(fields), { additionalProperties: false });
const ImAppView = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  name: Type.String(),
  app_id: Type.String(),
  base_url: Type.String(),
  created_by: Type.String(),
  created_at: Type.String(),
  updated_at: Type.String(),
});

const view = (row: ImAppRow) => ({
  id: row.id,
  kind: row.kind,
  name: row.name,
  app_id: row.appId,
  base_url: row.baseUrl,
  created_by: row.createdBy,
  created_at: row.createdAt.toISOString(),
  updated_at: row.updatedAt.toISOString(),
});

/** Feishu's Open API; Lark (open.larksuite.com) and private deployments give their own. */
const FEISHU_OPEN_API = 'https://open.feishu.cn';

/**
 * Chat apps (Zadig's IM app integration) that `feishu_app` and `feishu_person` notifications send
 * through, named by `app_id` in the ctl. The app secret is sealed on the way in and never returned.
 */
export const imAppRoutes: FastifyPluginAsyncTypebox<{ deps: GatewayDeps }> = async (app, { deps }) => {
  const tags = ['im-apps'];
  const IdParams = Type.Object({ id: AppKey });

  app.get(
    '/im-apps',
    {
      config: access(SYSTEM_ADMIN),
      schema: { tags, response: { 200: Type.Object({ im_apps: Type.Array(ImAppView) }), ...errorResponses } },
    },
    async () => ({ im_apps: (await listImApps(deps.db)).map(view) }),
  );

  app.post(
    '/im-apps',
    {
      config: access(SYSTEM_ADMIN),
      schema: { tags, body: CreateBody, response: { 201: ImAppView, ...errorResponses } },
    },
    async (request, reply) => {
      const b = request.body;
      const row = await createImApp(deps.db, {
        id: b.id,
        kind: b.kind,
        name: b.name,
        appId: b.app_id,
        appSecretSealed: deps.box.seal(b.app_secret),
        baseUrl: (b.base_url ?? FEISHU_OPEN_API).replace(/\/+$/, ''),
        createdBy: request.caller!,
      });
      return reply.code(201).send(view(row));
    },
  );

  app.get(
    '/im-apps/:id',
    {
      config: access(SYSTEM_ADMIN),
      schema: { tags, params: IdParams, response: { 200: ImAppView, ...errorResponses } },
    },
    async (request) => {
      const row = await getImApp(deps.db, request.params.id);
      if (!row) throw new NotFoundError(`IM app "${request.params.id}" not found`);
      return view(row);
    },
  );

  app.put(
    '/im-apps/:id',
    {
      config: access(SYSTEM_ADMIN),
      schema: {
        tags,
        description: 'Changes the given fields; an absent app_secret keeps the stored one.',
        params: IdParams,
        body: UpdateBody,
        response: { 200: ImAppView, ...errorResponses },
      },
    },
    async (request) => {
      const b = request.body;
      const row = await updateImApp(deps.db, request.params.id, {
        ...(b.name !== undefined ? { name: b.name } : {}),
        ...(b.app_id !== undefined ? { appId: b.app_id } : {}),
        ...(b.app_secret !== undefined ? { appSecretSealed: deps.box.seal(b.app_secret) } : {}),
        ...(b.base_url !== undefined ? { baseUrl: b.base_url.replace(/\/+$/, '') } : {}),
      });
      if (!row) throw new NotFoundError(`IM app "${request.params.id}" not found`);
      return view(row);
    },
  );

  app.delete(
    '/im-apps/:id',
    {
      config: access(SYSTEM_ADMIN),
      schema: { tags, params: IdParams, response: { 204: Type.Null(), ...errorResponses } },
    },
    async (request, reply) => {
      if (!(await deleteImApp(deps.db, request.params.id))) {
        throw new NotFoundError(`IM app "${request.params.id}" not found`);
      }
      return reply.code(204).send(null);
    },
  );
};
