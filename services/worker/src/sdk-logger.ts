import { DefaultLogger } from '@temporalio/worker';
import type { Logger } from '@stagecoach/platform';

/**
 * The Temporal SDK's own log entries (warnings and errors: a failed activity attempt, a failed workflow
 * task) as lines of the worker's logger, each at its own level and with its error serialized.
 */
export function sdkLogger(logger: Logger): DefaultLogger {
  return new DefaultLogger('WARN', ({ level, message, meta }) => {
    if (level === 'ERROR') logger.error(meta ?? {}, message);
    else logger.warn(meta ?? {}, message);
  });
}
