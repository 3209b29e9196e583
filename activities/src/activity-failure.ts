import { ApplicationFailure } from '@temporalio/common';
import { ErrorType } from '@stagecoach/contracts';
import { maskSecrets } from '@stagecoach/platform';
import { FreestyleSpecError, GitCheckoutError, JobFailedError, JobTimeoutError } from './freestyle/index.js';

/**
 * What a job attempt's error becomes for Temporal: the job's own outcomes as non-retryable failures the
 * run reads by type, anything else as it is, so the activity's retry policy decides. Either way the
 * credential values are masked in the message and the stack, which Temporal stores and the worker logs:
 * an error from elsewhere (a cluster's API refusing an object, say) may quote a value it was given.
 */
export function toActivityFailure(err: unknown, secrets: string[]): unknown {
  const message = maskSecrets(err instanceof Error ? err.message : String(err), secrets);
  if (err instanceof JobTimeoutError)
    return ApplicationFailure.create({ type: ErrorType.JobTimeout, message, nonRetryable: true });
  if (err instanceof JobFailedError)
    return ApplicationFailure.create({ type: ErrorType.JobFailed, message, nonRetryable: true });
  if (err instanceof GitCheckoutError)
    return ApplicationFailure.create({ type: ErrorType.GitCheckoutFailed, message, nonRetryable: true });
  if (err instanceof FreestyleSpecError)
    return ApplicationFailure.create({ type: ErrorType.SpecInvalid, message, nonRetryable: true });
  if (err instanceof Error && secrets.length > 0) {
    err.message = message;
    if (err.stack) err.stack = maskSecrets(err.stack, secrets);
  }
  return err;
}
