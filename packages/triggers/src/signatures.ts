import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Compares two strings in time that does not depend on where they differ or on their lengths
 * (both sides are hashed first), so a caller cannot learn a secret byte by byte.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const digest = (v: string) => createHash('sha256').update(v).digest();
  return timingSafeEqual(digest(a), digest(b));
}

export function hmacSha256Hex(secret: string, data: string | Buffer): string {
  return createHmac('sha256', secret).update(data).digest('hex');
}

export function hmacSha256Base64(secret: string, data: string | Buffer): string {
  return createHmac('sha256', secret).update(data).digest('base64');
}

/** `sha256=<hex>` over the raw body: GitHub's X-Hub-Signature-256, also used by our general hooks. */
export function verifySha256Header(secret: string, rawBody: Buffer, header: string | undefined): boolean {
  if (!header?.startsWith('sha256=')) return false;
  return constantTimeEqual(header, `sha256=${hmacSha256Hex(secret, rawBody)}`);
}

/** A stable key for a delivery that carries no id of its own: the digest of its body. */
function bodyDigest(rawBody: Buffer): string {
  return `sha256:${createHash('sha256').update(rawBody).digest('hex')}`;
}

/** Provider ids longer than this are kept as their digest: the key is indexed, and senders choose it. */
const MAX_DELIVERY_ID = 200;

/** The key a delivery is deduplicated by: the provider's id where it sends one, else the body's digest. */
export function deliveryKeyOf(providerId: string | undefined, rawBody: Buffer): string {
  if (providerId === undefined || providerId === '') return bodyDigest(rawBody);
  if (providerId.length <= MAX_DELIVERY_ID) return providerId;
  return `id-sha256:${createHash('sha256').update(providerId).digest('hex')}`;
}
