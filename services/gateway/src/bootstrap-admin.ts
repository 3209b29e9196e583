import { countUsers, createUser, type Db } from '@stagecoach/db';
import { ConflictError, hashPassword, type Logger } from '@stagecoach/platform';

/**
 * The first system admin, from configuration, on the first start (no users yet). Later starts, or a
 * second gateway starting at the same moment, change nothing.
 */
export async function bootstrapAdmin(
  db: Db,
  account: { username: string; password: string },
  logger: Logger,
): Promise<void> {
  if (!account.username || !account.password) return;
  if ((await countUsers(db)) > 0) return;
  try {
    await createUser(db, {
      username: account.username,
      passwordHash: await hashPassword(account.password),
      displayName: account.username,
      systemAdmin: true,
    });
    logger.info({ username: account.username }, 'bootstrap system admin created');
  } catch (err) {
    if (!(err instanceof ConflictError)) throw err;
  }
}
