import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { ErrorType } from '@stagecoach/contracts';
import { toActivityFailure } from './activity-failure.js';
import { JobFailedError } from './freestyle/index.js';

describe('toActivityFailure', () => {
  it("makes the job's own failure non-retryable, with credentials masked", () => {
    const failure = toActivityFailure(new JobFailedError('build', 1, ['login with hunter2 refused']), ['hunter2']);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: ErrorType.JobFailed, nonRetryable: true });
    expect((failure as Error).message).toContain('login with *** refused');
    expect((failure as Error).message).not.toContain('hunter2');
  });

  it('keeps any other error, so it is retried, with credentials masked in its message and stack', () => {
    const err = new TypeError('env[0].value "hunter2" is invalid');
    const failure = toActivityFailure(err, ['hunter2']) as Error;
    expect(failure).toBe(err);
    expect(failure.message).toBe('env[0].value "***" is invalid');
    expect(failure.stack).toContain('TypeError: env[0].value "***" is invalid');
    expect(failure.stack).not.toContain('hunter2');
  });

  it('leaves an error alone when the run has no credentials', () => {
    const err = new Error('connection reset');
    const stack = err.stack;
    expect(toActivityFailure(err, [])).toBe(err);
    expect(err.stack).toBe(stack);
  });
});
