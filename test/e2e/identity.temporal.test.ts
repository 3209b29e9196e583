import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { getUserByName, insertCredential } from '@stagecoach/db';
import { bearerTokenHash, createLogger, newBearerToken, API_TOKEN_PREFIX } from '@stagecoach/platform';
import { bootstrapAdmin } from '@stagecoach/gateway';
import { Engine } from '@stagecoach/testkit';

let engine: Engine;
const PASSWORD = 'a long enough password';

beforeAll(async () => {
  engine = await Engine.start({ inProcessWorker: false });
});
afterAll(async () => {
  await engine?.stop();
});

const login = (username: string, password: string) =>
  engine.api('POST', '/api/v1/login', { username, password }, { token: null });

async function newUser(username: string, extra: Record<string, unknown> = {}): Promise<void> {
  const res = await engine.api('POST', '/api/v1/users', {
    username,
    password: PASSWORD,
    email: `${username}@example.com`,
    ...extra,
  });
  expect(res.status).toBe(201);
}

describe('users, sign-in and API tokens', () => {
  it('signs in with the right password only, and a session acts as its user', async () => {
    await newUser('carol');
    const stored = await getUserByName(engine.dbHandle.db, 'carol');
    expect(stored!.passwordHash).toMatch(/^scrypt\$/);
    expect(stored!.passwordHash).not.toContain(PASSWORD);

    const wrong = await login('carol', 'not the password');
    const unknown = await login('nobody', 'not the password');
    expect([wrong.status, unknown.status]).toEqual([401, 401]);
    expect(wrong.body.message).toBe(unknown.body.message);

    const ok = await login('carol', PASSWORD);
    expect(ok.status).toBe(200);
    expect(ok.body.token).toMatch(/^scs_/);
    const me = await engine.api('GET', '/api/v1/users/me', undefined, { token: ok.body.token });
    expect(me.body).toEqual({ username: 'carol', display_name: '', email: 'carol@example.com', system_admin: false });

    // The session names the caller: X-User is not needed, nor believed.
    const made = await engine.api(
      'POST',
      '/api/v1/users/me/tokens',
      { name: 'laptop', expires_in_days: 1 },
      { token: ok.body.token, user: 'mallory' },
    );
    expect(made.status).toBe(201);
    // Projects are made by system admins.
    const project = await engine.api('POST', '/api/v1/projects', { name: 'carols' }, { token: ok.body.token });
    expect(project.status).toBe(403);
    const audit = await engine.api('GET', '/api/v1/audit?actor=carol');
    expect(audit.body.entries.map((e: { route: string; status: number }) => `${e.route} ${e.status}`)).toEqual([
      '/api/v1/projects 403',
      '/api/v1/users/me/tokens 201',
      '/api/v1/login 200',
    ]);
    expect((await engine.api('GET', '/api/v1/audit?actor=mallory')).body.entries).toEqual([]);

    const out = await engine.api('POST', '/api/v1/logout', undefined, { token: ok.body.token });
    expect(out.status).toBe(204);
    expect((await engine.api('GET', '/api/v1/users/me', undefined, { token: ok.body.token })).status).toBe(401);
  });

  it('API tokens are shown once, stored hashed, listed without the secret, revocable and expire', async () => {
    await newUser('dave');
    const session = (await login('dave', PASSWORD)).body.token as string;
    const made = await engine.api(
      'POST',
      '/api/v1/users/me/tokens',
      { name: 'ci', expires_in_days: 30 },
      { token: session },
    );
    expect(made.status).toBe(201);
    const apiToken = made.body.token as string;
    expect(apiToken).toMatch(/^scp_/);
    const rows = await engine.dbHandle.db.execute<{ token_hash: string }>(sql`SELECT token_hash FROM credentials`);
    expect(rows.rows.map((r) => r.token_hash)).toContain(bearerTokenHash(apiToken));
    expect(JSON.stringify(rows.rows)).not.toContain(apiToken);

    const listed = await engine.api('GET', '/api/v1/users/me/tokens', undefined, { token: apiToken });
    expect(listed.body.tokens).toHaveLength(1);
    expect(listed.text).not.toContain(apiToken);
    expect(listed.body.tokens[0]).toMatchObject({ name: 'ci', revoked: false });
    expect(listed.body.tokens[0].last_used_at).not.toBeNull();

    const revoked = await engine.api('DELETE', `/api/v1/users/me/tokens/${made.body.id}`, undefined, {
      token: session,
    });
    expect(revoked.status).toBe(204);
    const after = await engine.api('GET', '/api/v1/users/me', undefined, { token: apiToken });
    expect(after.status).toBe(401);
    expect(after.body.message).toMatch(/unknown, expired or revoked/);

    const user = await getUserByName(engine.dbHandle.db, 'dave');
    const expired = newBearerToken(API_TOKEN_PREFIX);
    await insertCredential(engine.dbHandle.db, {
      userId: user!.id,
      kind: 'api_token',
      name: 'old',
      tokenHash: bearerTokenHash(expired),
      expiresAt: new Date(Date.now() - 1000),
    });
    expect((await engine.api('GET', '/api/v1/users/me', undefined, { token: expired })).status).toBe(401);
    expect((await engine.api('GET', '/api/v1/projects', undefined, { token: 'scp_made-up' })).status).toBe(401);
  });

  it('refuses sign-ins past five failures for a username, even with the right password', async () => {
    await newUser('erin');
    for (let i = 0; i < 5; i++) expect((await login('erin', `guess ${i}`)).status).toBe(401);
    const limited = await login('erin', PASSWORD);
    expect(limited.status).toBe(429);
    expect(limited.body.message).toMatch(/too many failed sign-ins/);
    // Another user is not locked out by erin's failures.
    await newUser('frank');
    expect((await login('frank', PASSWORD)).status).toBe(200);
  });

  it('only system admins create and list users or read the audit log; bad bodies are 400', async () => {
    await newUser('gina');
    const token = (await login('gina', PASSWORD)).body.token as string;
    expect((await engine.api('POST', '/api/v1/users', { username: 'x', password: PASSWORD }, { token })).status).toBe(
      403,
    );
    expect((await engine.api('GET', '/api/v1/users', undefined, { token })).status).toBe(403);
    expect((await engine.api('GET', '/api/v1/audit', undefined, { token })).status).toBe(403);
    expect((await engine.api('GET', '/api/v1/audit', undefined, { token: null })).status).toBe(401);
    const short = await engine.api('POST', '/api/v1/users', { username: 'hank', password: 'short' });
    expect(short.status).toBe(400);
    expect(short.text).not.toContain('short"');
    expect((await engine.api('POST', '/api/v1/users', { username: 'gina', password: PASSWORD })).status).toBe(409);
    expect((await engine.api('POST', '/api/v1/projects', { name: 'anon' }, { token: null })).status).toBe(401);
  });

  it('creates the bootstrap admin once, on the first start only', async () => {
    const fresh = await Engine.start({ inProcessWorker: false });
    try {
      const logger = createLogger({ name: 'test' });
      await Promise.all([
        bootstrapAdmin(fresh.dbHandle.db, { username: 'root', password: PASSWORD }, logger),
        bootstrapAdmin(fresh.dbHandle.db, { username: 'root', password: PASSWORD }, logger),
      ]);
      await bootstrapAdmin(fresh.dbHandle.db, { username: 'other', password: PASSWORD }, logger);
      const signedIn = await fresh.api(
        'POST',
        '/api/v1/login',
        { username: 'root', password: PASSWORD },
        { token: null },
      );
      expect(signedIn.body.user.system_admin).toBe(true);
      const users = await fresh.api('GET', '/api/v1/users', undefined, { token: signedIn.body.token });
      expect(users.body.users.map((u: { username: string }) => u.username)).toEqual(['root']);
    } finally {
      await fresh.stop();
    }
  });
});
