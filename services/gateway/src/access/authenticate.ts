import { createHash, timingSafeEqual } from 'node:crypto';
import { findLiveCredential, touchCredential, type Db, type UserRow } from '@stagecoach/db';
import { bearerTokenHash, UnauthorizedError, ValidationError } from '@stagecoach/platform';
import { MAX_USERNAME_LENGTH } from '../schemas.js';

/** Who is asking, once their bearer token checked out. */
export interface Principal {
  username: string;
  systemAdmin: boolean;
  /** the signed-in user; absent for the installation's admin token, which is nobody in particular */
  user?: UserRow;
  /** the credential used (sessions end at logout) */
  credentialId?: string;
}

/** The headers (REST) or metadata (gRPC) a caller identifies itself with. */
export interface CallerHeaders {
  authorization?: string;
  /** with the admin token, the person acting */
  xUser?: string;
  /** how many times X-User was sent: both transports join repeats into one value ("ann, bob") */
  xUserTimes: number;
}

/** How many times a header was sent, from a request's raw headers (names and values alternate). */
export function timesGiven(rawHeaders: string[], name: string): number {
  return rawHeaders.filter((value, i) => i % 2 === 0 && value.toLowerCase() === name).length;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Header values reach Node as Latin-1, one character per byte: a UTF-8 name (张三, as an approver list
 * may spell it) arrives as its bytes. They are read as UTF-8; bytes that are not UTF-8 are refused,
 * not stored garbled.
 */
function headerText(value: string): string | undefined {
  const bytes = Buffer.from(value, 'latin1');
  const text = bytes.toString('utf8');
  return Buffer.from(text, 'utf8').equals(bytes) ? text : undefined;
}

export function bearerOf(authorization: string | undefined): string {
  const header = authorization ?? '';
  return header.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : '';
}

/**
 * Resolves a bearer token: the installation's admin token (a system admin who names the person
 * acting in X-User, required when `mutating`), or a user's login session or API token (the person
 * is the token's user). No token → undefined; a token present but unknown, expired or revoked → 401.
 */
export async function authenticate(
  options: { db: Db; adminToken: string },
  headers: CallerHeaders,
  mutating: boolean,
): Promise<Principal | undefined> {
  // A joined value would name a caller nobody is.
  if (headers.xUserTimes > 1) {
    throw new ValidationError('the X-User header names one caller and was given more than once', [
      { path: 'headers.x-user', message: 'must be given once' },
    ]);
  }
  const token = bearerOf(headers.authorization);
  if (token === '') return undefined;
  // Compare digests so the comparison takes the same time whatever the token's length.
  if (timingSafeEqual(digest(token), digest(options.adminToken))) {
    const user = headerText(headers.xUser ?? '')?.trim();
    if (user === undefined) {
      throw new ValidationError('the X-User header is not UTF-8 text', [
        { path: 'headers.x-user', message: 'must be UTF-8' },
      ]);
    }
    if (user === '' && mutating) {
      throw new ValidationError('with the admin token, the X-User header names the caller and is required', [
        { path: 'headers.x-user', message: 'required' },
      ]);
    }
    // The name is stored with what the caller does, and is a search attribute of the runs they start.
    if (user.length > MAX_USERNAME_LENGTH) {
      throw new ValidationError(`the X-User header names a user: at most ${MAX_USERNAME_LENGTH} characters`, [
        { path: 'headers.x-user', message: `must be at most ${MAX_USERNAME_LENGTH} characters` },
      ]);
    }
    return { username: user || 'admin', systemAdmin: true };
  }
  const now = new Date();
  const found = await findLiveCredential(options.db, bearerTokenHash(token), now);
  if (!found) throw new UnauthorizedError('the token is unknown, expired or revoked');
  // Last use is informational: a minute's precision saves a write per request.
  const last = found.credential.lastUsedAt?.getTime() ?? 0;
  if (now.getTime() - last > 60_000) await touchCredential(options.db, found.credential.id, now);
  return {
    username: found.user.username,
    systemAdmin: found.user.systemAdmin,
    user: found.user,
    credentialId: found.credential.id,
  };
}
