import { createServer, type Server } from 'node:net';
import { Connection } from '@temporalio/client';
import { afterEach, describe, expect, it } from 'vitest';
import { ExitedEarlyError, freePort } from './processes.js';
import { startTemporal, type TemporalServer } from './temporal.js';

let squatter: Server | undefined;
let started: TemporalServer | undefined;
afterEach(async () => {
  await started?.process.stop();
  squatter?.close();
  started = squatter = undefined;
});

/** A port some other process listens on, as when a picked port is taken before the server binds it. */
async function takenPort(): Promise<number> {
  squatter = createServer();
  await new Promise<void>((resolve) => squatter!.listen(0, '127.0.0.1', resolve));
  return (squatter.address() as { port: number }).port;
}

describe('startTemporal', () => {
  it('does not take the process holding its frontend port for the server it started', async () => {
    const port = await takenPort();
    const start = startTemporal({ port, uiPort: await freePort() }).then((server) => (started = server));
    await expect(start).rejects.toBeInstanceOf(ExitedEarlyError);
  });

  it('starts on fresh ports when a picked port is taken', async () => {
    const taken = await takenPort();
    let picks = 0;
    started = await startTemporal({ pickPort: () => (picks++ === 0 ? Promise.resolve(taken) : freePort()) });
    // Two ports an attempt; a later attempt too if a fresh port is taken again in the meantime.
    expect(picks).toBeGreaterThanOrEqual(4);
    expect(started.address).not.toBe(`127.0.0.1:${taken}`);
    const connection = await Connection.connect({ address: started.address });
    try {
      const info = await connection.workflowService.getSystemInfo({});
      expect(info.serverVersion).toMatch(/^\d+\.\d+/);
    } finally {
      await connection.close();
    }
  });
});
