import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  countLoginFailures,
  createUser,
  getUserByName,
  insertCredential,
  listApiTokens,
  listUsers,
  recordLoginFailure,
  revokeCredential,
  type UserRow,
} from '@stagecoach/db';
import {
  API_TOKEN_PREFIX,
  AppError,
  bearerTokenHash,
  hashPassword,
  newBearerToken,
  NotFoundError,
  SESSION_PREFIX,
  UnauthorizedError,
  verifyPassword,
} from '@stagecoach/platform';
import type { GatewayDeps } from '../deps.js';
import type { Principal } from '../access/authenticate.js';
import { errorResponses, MAX_USERNAME_LENGTH } from '../schemas.js';
import { PUBLIC, SIGNED_IN, SYSTEM_ADMIN, access } from '../access/rules.js';

const SESSION_HOURS = 12;
/** Failed sign-ins allowed per username, and per address, in the window before 429s. */
export const LOGIN_LIMIT = { perUser: 5, perIp: 20, windowMinutes: 15 };

class TooManyAttemptsError extends AppError {
  override name = 'TooManyAttemptsError';
  constructor(message: string) {
    super(message, 'too_many_attempts', 429);
  }
}

const AccountName = Type.String({ pattern: '^[a-zA-Z0-9._@-]+$', minLength: 1, maxLength: MAX_USERNAME_LENGTH });
const Password = Type.String({ minLength: 1, maxLength: 1024 });
const UserView = Type.Object({
  username: Type.String(),
  display_name: Type.String(),
  email: Type.String(),
  system_admin: Type.Boolean(),
});
const TokenView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  expires_at: Type.String(),
  revoked: Type.Boolean(),
  last_used_at: Type.Union([Type.String(), Type.Null()]),
  created_at: Type.String(),
});

const userView = (u: UserRow) => ({
  username: u.username,
  display_name: u.displayName,
  email: u.email,
  system_admin: u.systemAdmin,
});

/** A dummy hash so an unknown username costs as much time as a wrong password (no user enumeration). */
let decoyHash: Promise<string> | undefined;

/**
 * Users, sign-in and personal API tokens. Passwords are checked against scrypt hashes; sessions and
 * API tokens are random bearer tokens stored as SHA-256 and shown once. Sign-in failures are counted
 * per username and per address, and refused with 429 past the limit.
 */
export const identityRoutes: FastifyPluginAsyncTypebox<{ deps: GatewayDeps }> = async (app, { deps }) => {
  const tags = ['identity'];

  app.post(
    '/login',
    {
      config: access(PUBLIC),
      schema: {
        tags,
        security: [],
        body: Type.Object({ username: AccountName, password: Password }, { additionalProperties: false }),
        response: {
          200: Type.Object({ token: Type.String(), expires_at: Type.String(), user: UserView }),
          429: errorResponses[401],
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { username, password } = request.body;
      const since = new Date(Date.now() - LOGIN_LIMIT.windowMinutes * 60_000);
      const failures = await countLoginFailures(deps.db, username, request.ip, since);
      if (failures.byUser >= LOGIN_LIMIT.perUser || failures.byIp >= LOGIN_LIMIT.perIp) {
        throw new TooManyAttemptsError(`too many failed sign-ins; try again in ${LOGIN_LIMIT.windowMinutes} minutes`);
      }
      const user = await getUserByName(deps.db, username);
      const ok = user
        ? await verifyPassword(password, user.passwordHash)
        : await verifyPassword(password, await (decoyHash ??= hashPassword('decoy')));
      if (!user || !ok || user.disabled) {
        await recordLoginFailure(deps.db, username, request.ip);
        throw new UnauthorizedError('wrong username or password');
      }
      const token = newBearerToken(SESSION_PREFIX);
      const expiresAt = new Date(Date.now() + SESSION_HOURS * 3_600_000);
      await insertCredential(deps.db, {
        userId: user.id,
        kind: 'session',
        tokenHash: bearerTokenHash(token),
        expiresAt,
      });
      request.caller = user.username;
      return { token, expires_at: expiresAt.toISOString(), user: userView(user) };
    },
  );

  app.post(
    '/logout',
    { config: access(SIGNED_IN), schema: { tags, response: { 204: Type.Null(), ...errorResponses } } },
    async (request, reply) => {
      const p = request.principal;
      if (!p?.user || !p.credentialId) throw new UnauthorizedError('sign in first');
      await revokeCredential(deps.db, p.user.id, p.credentialId, new Date());
      return reply.code(204).send(null);
    },
  );

  /** The signed-in user, loaded with their token by the auth hook. */
  const me = (principal: Principal | undefined): UserRow => {
    if (!principal?.user) throw new UnauthorizedError('this needs a user token (sign in, or an API token)');
    return principal.user;
  };

  app.get(
    '/users/me',
    { config: access(SIGNED_IN), schema: { tags, response: { 200: UserView, ...errorResponses } } },
    async (request) => userView(me(request.principal)),
  );

  app.post(
    '/users',
    {
      config: access(SYSTEM_ADMIN),
      schema: {
        tags,
        description: 'System admins create users.',
        body: Type.Object(
          {
            username: AccountName,
            password: Type.String({ minLength: 12, maxLength: 1024 }),
            display_name: Type.Optional(Type.String({ maxLength: 128 })),
            email: Type.Optional(Type.String({ format: 'email' })),
            system_admin: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
        response: { 201: UserView, ...errorResponses },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const user = await createUser(deps.db, {
        username: b.username,
        passwordHash: await hashPassword(b.password),
        displayName: b.display_name ?? '',
        email: b.email ?? '',
        systemAdmin: b.system_admin ?? false,
      });
      return reply.code(201).send(userView(user));
    },
  );

  app.get(
    '/users',
    {
      config: access(SYSTEM_ADMIN),
      schema: { tags, response: { 200: Type.Object({ users: Type.Array(UserView) }), ...errorResponses } },
    },
    async () => ({ users: (await listUsers(deps.db)).map(userView) }),
  );

  app.post(
    '/users/me/tokens',
    {
      config: access(SIGNED_IN),
      schema: {
        tags,
        description: 'A personal API token, shown once. It acts as its user until it expires or is revoked.',
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 64 }),
            expires_in_days: Type.Integer({ minimum: 1, maximum: 366 }),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ ...TokenView.properties, token: Type.String() }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const user = me(request.principal);
      const token = newBearerToken(API_TOKEN_PREFIX);
      const row = await insertCredential(deps.db, {
        userId: user.id,
        kind: 'api_token',
        name: request.body.name,
        tokenHash: bearerTokenHash(token),
        expiresAt: new Date(Date.now() + request.body.expires_in_days * 86_400_000),
      });
      return reply.code(201).send({ ...tokenView(row), token });
    },
  );

  app.get(
    '/users/me/tokens',
    {
      config: access(SIGNED_IN),
      schema: { tags, response: { 200: Type.Object({ tokens: Type.Array(TokenView) }), ...errorResponses } },
    },
    async (request) => {
      const user = me(request.principal);
      return { tokens: (await listApiTokens(deps.db, user.id)).map(tokenView) };
    },
  );

  app.delete(
    '/users/me/tokens/:id',
    {
      config: access(SIGNED_IN),
      schema: {
        tags,
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      const user = me(request.principal);
      if (!(await revokeCredential(deps.db, user.id, request.params.id, new Date()))) {
        throw new NotFoundError(`no live token ${request.params.id}`);
      }
      return reply.code(204).send(null);
    },
  );
};

function tokenView(row: {
  id: string;
  name: string;
  expiresAt: Date;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  createdAt: Date;
}) {
  return {
    id: row.id,
    name: row.name,
    expires_at: row.expiresAt.toISOString(),
    revoked: row.revokedAt !== null,
    last_used_at: row.lastUsedAt?.toISOString() ?? null,
    created_at: row.createdAt.toISOString(),
  };
}
