import { createHash, randomBytes } from 'node:crypto';

/** Prefixes say what a leaked token is (secret scanners key on them); the rest is 256 random bits. */
export const SESSION_PREFIX = 'scs_';
export const API_TOKEN_PREFIX = 'scp_';

export function newBearerToken(prefix: string): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

/** What is stored instead of the token. */
export function bearerTokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
