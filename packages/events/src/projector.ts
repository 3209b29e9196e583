import { applyRunEvent, type Db } from '@stagecoach/db';
import type { JetStreamClient } from 'nats';
import type { Logger } from '@stagecoach/platform';
import { startRunEventConsumer, type RunEventConsumer, type RunEventConsumerOptions } from './consumer.js';
import type { StreamNames } from './jetstream.js';

export interface ProjectorOptions extends Omit<RunEventConsumerOptions, 'logger'> {
  js: JetStreamClient;
  db: Db;
  durableName: string;
  logger: Logger;
  names?: StreamNames;
}

export type Projector = RunEventConsumer;

/**
 * Projects run events from JetStream into PostgreSQL (runs, job_runs, the stages document).
 * Acked only after the transaction committed (startRunEventConsumer); a redelivery is harmless
 * because applyRunEvent is idempotent and order-safe.
 */
export async function startProjector(opts: ProjectorOptions): Promise<Projector> {
  const log = opts.logger.child({ component: 'projector', durable: opts.durableName });
  return startRunEventConsumer({ ...opts, logger: log }, async (event) => {
    const result = await applyRunEvent(opts.db, event);
    log.debug({ runId: event.runId, seq: event.seq, retryNum: event.retryNum, ...result }, 'projected run event');
  });
}
