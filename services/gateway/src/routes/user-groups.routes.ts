import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  createUserGroup,
  deleteUserGroup,
  getUserGroup,
  getUsersByName,
  listUserGroups,
  replaceUserGroupMembers,
  withTransaction,
  type DbOrTx,
  type UserGroupWithMembers,
} from '@stagecoach/db';
import { NotFoundError, ValidationError } from '@stagecoach/platform';
import { access, SYSTEM_ADMIN } from '../access/rules.js';
import type { GatewayDeps } from '../deps.js';
import { errorResponses, Username } from '../schemas.js';

/** Group names appear in URLs and in definitions' `group_name`. */
const GroupName = Type.String({ pattern: '^[a-zA-Z0-9][a-zA-Z0-9._-]*$', minLength: 1, maxLength: 64 });
const NameParams = Type.Object({ name: GroupName });
const UserGroupView = Type.Object({
  id: Type.String({ description: "What a definition's `group_id` names (its `group_name` may be used instead)." }),
  name: Type.String(),
  description: Type.String(),
  members: Type.Array(Type.String(), { description: 'usernames' }),
  created_at: Type.String(),
});

const view = (g: UserGroupWithMembers) => ({
  id: g.id,
  name: g.name,
  description: g.description,
  members: g.members.map((m) => m.username),
  created_at: g.createdAt.toISOString(),
});

/**
 * User groups (Zadig's): a definition's approvers, manual-exec users, manual_check deciders and mail
 * recipients may name a group, which a run replaces by the group's members when it is built. System
 * admins manage them, as they manage users.
 */
export const userGroupRoutes: FastifyPluginAsyncTypebox<{ deps: GatewayDeps }> = async (app, { deps }) => {
  const tags = ['user-groups'];
  const groupNamed = async (db: DbOrTx, name: string) => {
    const group = await getUserGroup(db, name);
    if (!group) throw new NotFoundError(`user group "${name}" not found`);
    return group;
  };

  app.post(
    '/user-groups',
    {
      config: access(SYSTEM_ADMIN),
      schema: {
        tags,
        body: Type.Object(
          { name: GroupName, description: Type.Optional(Type.String({ maxLength: 1024 })) },
          { additionalProperties: false },
        ),
        response: { 201: UserGroupView, ...errorResponses },
      },
    },
    async (request, reply) => {
      const row = await createUserGroup(deps.db, request.body);
      return reply.code(201).send(view({ ...row, members: [] }));
    },
  );

  app.get(
    '/user-groups',
    {
      config: access(SYSTEM_ADMIN),
      schema: { tags, response: { 200: Type.Object({ user_groups: Type.Array(UserGroupView) }), ...errorResponses } },
    },
    async () => ({ user_groups: (await listUserGroups(deps.db)).map(view) }),
  );

  app.get(
    '/user-groups/:name',
    {
      config: access(SYSTEM_ADMIN),
      schema: { tags, params: NameParams, response: { 200: UserGroupView, ...errorResponses } },
    },
    async (request) => view(await groupNamed(deps.db, request.params.name)),
  );

  app.put(
    '/user-groups/:name/members',
    {
      config: access(SYSTEM_ADMIN),
      schema: {
        tags,
        description: "Replaces the group's members. Runs already started keep the members they were built with.",
        params: NameParams,
        body: Type.Object({ users: Type.Array(Username, { maxItems: 1000 }) }, { additionalProperties: false }),
        response: { 200: UserGroupView, ...errorResponses },
      },
    },
    async (request) => {
      const { name } = request.params;
      const { users } = request.body;
      return withTransaction(deps.db, async (tx) => {
        const group = await groupNamed(tx, name);
        const found = await getUsersByName(tx, users);
        const unknown = users.flatMap((u, i) =>
          found.has(u) ? [] : [{ path: `users[${i}]`, message: `no user "${u}"` }],
        );
        // Refused before anything is written: the group keeps its members.
        if (unknown.length > 0) throw new ValidationError(unknown.map((i) => i.message).join(', '), unknown);
        await replaceUserGroupMembers(
          tx,
          group.id,
          users.map((u) => found.get(u)!.id),
        );
        return view((await getUserGroup(tx, name))!);
      });
    },
  );

  app.delete(
    '/user-groups/:name',
    {
      config: access(SYSTEM_ADMIN),
      schema: {
        tags,
        description: 'Definitions that still name the group are refused when they start a run.',
        params: NameParams,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      if (!(await deleteUserGroup(deps.db, request.params.name))) {
        throw new NotFoundError(`user group "${request.params.name}" not found`);
      }
      return reply.code(204).send(null);
    },
  );
};
