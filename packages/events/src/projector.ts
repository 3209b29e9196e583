import { applyRunEvents, type Db } from '@stagecoach/db';
import type { JetStreamClient } from 'nats';
import type { Logger } from '@stagecoach/platform';
import { startRunEventBatchConsumer, type RunEventConsumer, type RunEventConsumerOptions } from './consumer.js';
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
 * Events that arrive together are applied together, one transaction per run; they are acked only
 * after it committed (startRunEventBatchConsumer). A redelivery is harmless because applyRunEvents
 * is idempotent and order-safe.
 */
export async function startProjector(opts: ProjectorOptions): Promise<Projector> {
  const log = opts.logger.child({ component: 'projector', durable: opts.durableName });
  return startRunEventBatchConsumer({ ...opts, logger: log }, async (events) => {
    const results = await applyRunEvents(opts.db, events);
    if (log.isLevelEnabled('debug')) {
      events.forEach((event, i) =>
        log.debug(
          { runId: event.runId, seq: event.seq, retryNum: event.retryNum, ...results[i] },
          'projected run event',
        ),
      );
    }
  });
}
