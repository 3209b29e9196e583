import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, logger: createLogger({ name: 'test', level: 'info' }, destination) };
}

/** What drizzle throws when a statement fails: the SQL and the values it was given. */
function failedQuery(params: unknown[]): Error {
  const err = new Error(`Failed query: insert into "runs" ("notify_ctls") values ($1)\nparams: ${params}`, {
    cause: new Error('invalid byte sequence for encoding "UTF8"'),
  });
  return Object.assign(err, { query: 'insert into "runs" ("notify_ctls") values ($1)', params });
}

describe('createLogger', () => {
  it('logs a failed query with its SQL and cause but without the values it stored', async () => {
    const { lines, logger } = capture();
    const stored = '{"token":"notify-token-123"}';
    logger.error({ err: failedQuery([stored, 'multi\nline']) }, 'request failed');
    logger.error({ err: new Error('starting the run failed', { cause: failedQuery([stored]) }) }, 'wrapped');
    logger.warn({ error: failedQuery([stored]) }, 'Activity failed');
    await new Promise((resolve) => setImmediate(resolve));

    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line).not.toContain('notify-token-123');
    const first = JSON.parse(lines[0]!);
    expect(first.err.message).toBe(
      'Failed query: insert into "runs" ("notify_ctls") values ($1)\nparams: (not logged)',
    );
    expect(first.err.stack).toContain('params: (not logged)\n    at ');
    expect(first.err.query).toBe('insert into "runs" ("notify_ctls") values ($1)');
    expect(first.err.stack).toContain('caused by: Error: invalid byte sequence for encoding "UTF8"');
    const wrapped = JSON.parse(lines[1]!);
    expect(wrapped.err.message).toBe(
      'starting the run failed: Failed query: insert into "runs" ("notify_ctls") values ($1)\nparams: (not logged)',
    );
    expect(wrapped.err.stack).toContain('params: (not logged)\n    at ');
    expect(wrapped.err.stack).toContain('caused by: Error: invalid byte sequence for encoding "UTF8"');
  });

  it('serializes any other error as pino does', async () => {
    const { lines, logger } = capture();
    logger.error({ err: new TypeError('boom') }, 'failed');
    await new Promise((resolve) => setImmediate(resolve));
    expect(JSON.parse(lines[0]!).err).toMatchObject({ type: 'TypeError', message: 'boom' });
  });
});
