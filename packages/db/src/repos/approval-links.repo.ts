import { createHash, randomBytes } from 'node:crypto';
import { and, eq, isNull } from 'drizzle-orm';
import type { DbOrTx } from '../client.js';
import { approvalLinks, type ApprovalLinkRow } from '../schema/index.js';

/** The stored form of a link token: its SHA-256, hex. */
export const hashApprovalToken = (token: string) => createHash('sha256').update(token).digest('hex');

export interface ApprovalLinkTarget {
  runId: string;
  job: string;
  retryNum: number;
}

/**
 * Makes one random token (256 bits, base64url) per approver for an approval job and stores their
 * hashes. The tokens themselves are returned once, to be put in the messages, and never stored.
 */
export async function createApprovalLinks(
  db: DbOrTx,
  target: ApprovalLinkTarget,
  approvers: readonly string[],
): Promise<{ approver: string; token: string }[]> {
  if (approvers.length === 0) return [];
  const links = approvers.map((approver) => ({ approver, token: randomBytes(32).toString('base64url') }));
  await db
    .insert(approvalLinks)
    .values(links.map((l) => ({ ...target, approver: l.approver, tokenHash: hashApprovalToken(l.token) })));
  return links;
}

export async function findApprovalLink(db: DbOrTx, token: string): Promise<ApprovalLinkRow | undefined> {
  const [row] = await db
    .select()
    .from(approvalLinks)
    .where(eq(approvalLinks.tokenHash, hashApprovalToken(token)));
  return row;
}

/** Makes a link usable again whose use did not record a vote (the run refused it or could not be asked). */
export async function releaseApprovalLink(db: DbOrTx, token: string): Promise<void> {
  await db
    .update(approvalLinks)
    .set({ usedAt: null })
    .where(eq(approvalLinks.tokenHash, hashApprovalToken(token)));
}

/** Marks the link used if nobody has; false when another use came first (a second click, a race). */
export async function useApprovalLink(db: DbOrTx, token: string): Promise<boolean> {
  const rows = await db
    .update(approvalLinks)
    .set({ usedAt: new Date() })
    .where(and(eq(approvalLinks.tokenHash, hashApprovalToken(token)), isNull(approvalLinks.usedAt)))
    .returning({ tokenHash: approvalLinks.tokenHash });
  return rows.length === 1;
}
