import type { Logger } from '@stagecoach/platform';

interface Listener {
  listen(address: { host: string; port: number }): Promise<unknown>;
}

/**
 * Starts `server` listening, as a service's entry point does. A port another process holds (a second
 * `npm start`, say) ends the process with one line naming the port and the setting that moves it,
 * instead of Node's stack trace; any other failure is thrown.
 */
export async function listenOrExit(
  server: Listener,
  address: { host: string; port: number },
  setting: string,
  logger: Logger,
): Promise<void> {
  try {
    await server.listen(address);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    logger.fatal(
      `${address.host}:${address.port} is in use by another process: stop it, or set ${setting} to a free port`,
    );
    process.exit(1);
  }
}
