import type { Client } from '@temporalio/client';
import type { JetStreamClient } from 'nats';
import type { Db } from '@stagecoach/db';
import type { StreamNames } from '@stagecoach/events';
import type { Logger, SecretBox } from '@stagecoach/platform';

export interface GatewayDeps {
  db: Db;
  temporal: Client;
  js: JetStreamClient;
  box: SecretBox;
  logger: Logger;
  adminToken: string;
  publicUrl: string;
  /** base URL providers reach the trigger service at (shown as each trigger's hook_url) */
  hooksUrl: string;
  taskQueue?: string;
  /** JetStream stream names (tests isolate themselves with their own) */
  names?: StreamNames;
}
