import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { createCluster, deleteCluster, getCluster, listClusters, updateCluster, type ClusterRow } from '@stagecoach/db';
import { LOCAL_CLUSTER_IDS, parseConnection } from '@stagecoach/kube';
import { NotFoundError, ValidationError } from '@stagecoach/platform';
import type { GatewayDeps } from '../deps.js';
import { errorResponses } from '../schemas.js';
import { SYSTEM_ADMIN, access } from '../access/rules.js';

const ClusterId = Type.String({ pattern: '^[a-z0-9][a-z0-9-]*$', minLength: 1, maxLength: 63 });
const Connection = {
  kubeconfig: Type.Optional(Type.String({ minLength: 1, maxLength: 256 * 1024 })),
  context: Type.Optional(Type.String({ minLength: 1 })),
  server: Type.Optional(Type.String({ minLength: 1 })),
  token: Type.Optional(Type.String({ minLength: 1 })),
  ca_data: Type.Optional(Type.String({ minLength: 1 })),
  insecure_skip_tls_verify: Type.Optional(Type.Boolean()),
};
const CreateBody = Type.Object(
  {
    id: ClusterId,
    name: Type.String({ minLength: 1, maxLength: 128 }),
    description: Type.Optional(Type.String()),
    ...Connection,
  },
  { additionalProperties: false },
);
const UpdateBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    description: Type.Optional(Type.String()),
    ...Connection,
  },
  { additionalProperties: false },
);
const ClusterView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.String(),
  server: Type.String(),
  created_by: Type.String(),
  created_at: Type.String(),
  updated_at: Type.String(),
});

const view = (row: ClusterRow) => ({
  id: row.id,
  name: row.name,
  description: row.description,
  server: row.server,
  created_by: row.createdBy,
  created_at: row.createdAt.toISOString(),
  updated_at: row.updatedAt.toISOString(),
});

type ConnectionInput = Parameters<typeof parseConnection>[0];
const hasConnection = (body: ConnectionInput) =>
  body.kubeconfig !== undefined || body.server !== undefined || body.token !== undefined;

/**
 * Clusters of this installation (Zadig's cluster management): jobs name one by `cluster_id`. What it
 * takes to reach a cluster is sealed on the way in and never returned. Admins only, reads included.
 */
export const clusterRoutes: FastifyPluginAsyncTypebox<{ deps: GatewayDeps }> = async (app, { deps }) => {
  const tags = ['clusters'];
  const sealed = (body: ConnectionInput) => {
    const parsed = parseConnection(body);
    if (!parsed.ok) throw new ValidationError('invalid cluster connection', parsed.issues);
    return { connectionSealed: deps.box.seal(JSON.stringify(parsed.connection)), server: parsed.server };
  };
  const IdParams = Type.Object({ id: ClusterId });

  app.get(
    '/clusters',
    {
      config: access(SYSTEM_ADMIN),
      schema: { tags, response: { 200: Type.Object({ clusters: Type.Array(ClusterView) }), ...errorResponses } },
    },
    async () => ({ clusters: (await listClusters(deps.db)).map(view) }),
  );

  app.post(
    '/clusters',
    {
      config: access(SYSTEM_ADMIN),
      schema: { tags, body: CreateBody, response: { 201: ClusterView, ...errorResponses } },
    },
    async (request, reply) => {
      const { id, name, description, ...connection } = request.body;
      if (LOCAL_CLUSTER_IDS.has(id)) {
        throw new ValidationError('reserved cluster id', [{ path: 'id', message: `"${id}" is the local cluster` }]);
      }
      const row = await createCluster(deps.db, {
        id,
        name,
        description: description ?? '',
        createdBy: request.caller!,
        ...sealed(connection),
      });
      return reply.code(201).send(view(row));
    },
  );

  app.get(
    '/clusters/:id',
    {
      config: access(SYSTEM_ADMIN),
      schema: { tags, params: IdParams, response: { 200: ClusterView, ...errorResponses } },
    },
    async (request) => {
      const row = await getCluster(deps.db, request.params.id);
      if (!row) throw new NotFoundError(`cluster "${request.params.id}" not found`);
      return view(row);
    },
  );

  app.put(
    '/clusters/:id',
    {
      config: access(SYSTEM_ADMIN),
      schema: { tags, params: IdParams, body: UpdateBody, response: { 200: ClusterView, ...errorResponses } },
    },
    async (request) => {
      const { name, description, ...connection } = request.body;
      const row = await updateCluster(deps.db, request.params.id, {
        ...(name !== undefined ? { name } : {}),
        ...(description !== undefined ? { description } : {}),
        ...(hasConnection(connection) ? sealed(connection) : {}),
      });
      if (!row) throw new NotFoundError(`cluster "${request.params.id}" not found`);
      return view(row);
    },
  );

  app.delete(
    '/clusters/:id',
    {
      config: access(SYSTEM_ADMIN),
      schema: { tags, params: IdParams, response: { 204: Type.Null(), ...errorResponses } },
    },
    async (request, reply) => {
      if (!(await deleteCluster(deps.db, request.params.id))) {
        throw new NotFoundError(`cluster "${request.params.id}" not found`);
      }
      return reply.code(204).send(null);
    },
  );
};
