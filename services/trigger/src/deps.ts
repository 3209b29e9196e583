import type { Client } from '@temporalio/client';
import type { Db } from '@stagecoach/db';
import type { Logger, SecretBox } from '@stagecoach/platform';

export interface TriggerServiceDeps {
  db: Db;
  temporal: Client;
  box: SecretBox;
  logger: Logger;
  /** base of run links (STAGECOACH_PUBLIC_URL) */
  publicUrl: string;
  taskQueue?: string;
}
