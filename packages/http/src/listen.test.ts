import { createServer, type Server } from 'node:net';
import Fastify from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '@stagecoach/platform';
import { listenOrExit } from './listen.js';

const holders: Server[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const holder of holders.splice(0)) holder.close();
});

/** A port another server holds. */
async function takenPort(): Promise<number> {
  const holder = createServer();
  holders.push(holder);
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  return (holder.address() as { port: number }).port;
}

describe('listenOrExit', () => {
  it('ends the process naming the port and the setting when another process holds the port', async () => {
    const port = await takenPort();
    const logger = createLogger({ name: 'test', level: 'silent' });
    const fatal = vi.spyOn(logger, 'fatal');
    const exit = vi.spyOn(process, 'exit').mockImplementation(() => {
      throw new Error('exited');
    });
    const app = Fastify();
    await expect(listenOrExit(app, { host: '127.0.0.1', port }, 'TRIGGER_PORT', logger)).rejects.toThrow('exited');
    expect(exit).toHaveBeenCalledWith(1);
    expect(fatal).toHaveBeenCalledWith(
      `127.0.0.1:${port} is in use by another process: stop it, or set TRIGGER_PORT to a free port`,
    );
    await app.close();
  });

  it('listens on a free port, and leaves other failures to the caller', async () => {
    const logger = createLogger({ name: 'test', level: 'silent' });
    const app = Fastify();
    app.get('/', async () => 'up');
    await listenOrExit(app, { host: '127.0.0.1', port: 0 }, 'TRIGGER_PORT', logger);
    const { port } = app.server.address() as { port: number };
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('up');
    await app.close();
    await expect(listenOrExit(Fastify(), { host: '127.0.0.1', port: -1 }, 'X', logger)).rejects.toMatchObject({
      code: 'ERR_SOCKET_BAD_PORT',
    });
  });
});
