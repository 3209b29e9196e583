import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '@stagecoach/platform';
import { sdkLogger } from './sdk-logger.js';

function capture() {
  const lines: Record<string, any>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { lines, logger: createLogger({ name: 'worker', level: 'info' }, destination) };
}

describe('sdkLogger', () => {
  it("writes the SDK's errors at error level with the error's message and stack", async () => {
    const { lines, logger } = capture();
    const sdk = sdkLogger(logger);
    sdk.error('Activity failed', {
      activityType: 'runJob',
      error: new TypeError('spec.script.trim is not a function'),
    });
    sdk.warn('Activity failed', { attempt: 2 });
    sdk.info('Worker state changed', { state: 'RUNNING' });
    await new Promise((resolve) => setImmediate(resolve));

    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      level: 50,
      msg: 'Activity failed',
      activityType: 'runJob',
      error: { type: 'TypeError', message: 'spec.script.trim is not a function' },
    });
    expect(lines[0]!.error.stack).toContain('TypeError: spec.script.trim is not a function');
    expect(lines[1]).toMatchObject({ level: 40, msg: 'Activity failed', attempt: 2 });
  });
});
