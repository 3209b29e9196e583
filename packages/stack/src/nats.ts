import { mkdirSync } from 'node:fs';
import { natsServerBinary } from './binaries.js';
import { freePort, startManaged, waitUntilListening, type Managed } from './processes.js';

export interface NatsServer {
  url: string;
  port: number;
  storeDir: string;
  process: Managed;
}

/** nats-server with JetStream, its store in storeDir so a restart on the same folder keeps the streams. */
export async function startNats(options: { storeDir: string; port?: number }): Promise<NatsServer> {
  const binary = natsServerBinary();
  const port = options.port ?? (await freePort());
  mkdirSync(options.storeDir, { recursive: true });
  const proc = startManaged('nats', binary, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', options.storeDir]);
  await waitUntilListening(proc, 'nats-server', port, 30_000);
  return { url: `nats://127.0.0.1:${port}`, port, storeDir: options.storeDir, process: proc };
}
