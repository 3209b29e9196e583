/** The script exited non-zero (or was killed by a signal nobody in Stagecoach sent). */
export class JobFailedError extends Error {
  readonly kind = 'failed' as const;
  constructor(
    readonly job: string,
    readonly exitCode: number,
    /** last masked log lines, oldest first */
    readonly logTail: readonly string[],
  ) {
    super(
      `job "${job}" failed: script exited with code ${exitCode}` +
        (logTail.length > 0 ? `\n--- last ${logTail.length} log lines ---\n${logTail.join('\n')}` : ''),
    );
    this.name = 'JobFailedError';
  }
}

/** `advanced_setting.timeout` expired; the job's process group has been killed. */
export class JobTimeoutError extends Error {
  readonly kind = 'timeout' as const;
  constructor(
    readonly job: string,
    readonly timeoutMs: number,
  ) {
    super(`job "${job}" timed out after ${formatDuration(timeoutMs)}`);
    this.name = 'JobTimeoutError';
  }
}

/** A repo could not be cloned or checked out; the message names the repo and carries git's (masked) stderr. */
export class GitCheckoutError extends Error {
  readonly kind = 'git' as const;
  constructor(
    readonly repo: string,
    detail: string,
  ) {
    super(`checkout of repo "${repo}" failed: ${detail}`);
    this.name = 'GitCheckoutError';
  }
}

/** The spec asks for something this executor cannot do (bad output name, unsupported script type...). */
export class FreestyleSpecError extends Error {
  readonly kind = 'spec' as const;
  constructor(message: string) {
    super(message);
    this.name = 'FreestyleSpecError';
  }
}

function formatDuration(ms: number): string {
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms % 1000 === 0) return `${ms / 1000} s`;
  return `${ms} ms`;
}
