import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ensurePostgres,
  natsServerBinary,
  startNats,
  startTemporal,
  temporalBinary,
  type NatsServer,
  type TemporalServer,
} from '@stagecoach/stack';

export interface TestStack {
  env: { DATABASE_URL: string; NATS_URL: string; TEMPORAL_ADDRESS?: string };
  stop(): Promise<void>;
}

const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * Servers for a test run: our own nats-server (isolated store, so tests may restart it) and, when asked,
 * an ephemeral Temporal dev server. Already-set NATS_URL / TEMPORAL_ADDRESS are reused instead.
 */
export async function startTestStack(options: { temporal: boolean }): Promise<TestStack> {
  // Binaries first: building one can take minutes on a new machine, and a server already started would
  // outlive a run interrupted meanwhile (the build holds the event loop, so no signal handler runs).
  if (!process.env.NATS_URL) natsServerBinary();
  if (options.temporal && !process.env.TEMPORAL_ADDRESS) temporalBinary();
  const databaseUrl = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
  await ensurePostgres(databaseUrl);
  const started: Array<NatsServer | TemporalServer> = [];
  const dirs: string[] = [];
  let natsUrl = process.env.NATS_URL;
  if (!natsUrl) {
    const storeDir = mkdtempSync(join(tmpdir(), 'stagecoach-nats-'));
    dirs.push(storeDir);
    const nats = await startNats({ storeDir });
    started.push(nats);
    natsUrl = nats.url;
  }
  let temporalAddress = process.env.TEMPORAL_ADDRESS;
  if (options.temporal && !temporalAddress) {
    const temporal = await startTemporal();
    started.push(temporal);
    temporalAddress = temporal.address;
  }
  return {
    env: {
      DATABASE_URL: databaseUrl,
      NATS_URL: natsUrl,
      ...(temporalAddress ? { TEMPORAL_ADDRESS: temporalAddress } : {}),
    },
    async stop() {
      await Promise.all(started.map((s) => s.process.stop()));
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    },
  };
}
