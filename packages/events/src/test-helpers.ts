import type { RunEvent } from '@stagecoach/contracts';
import { randomBytes } from 'node:crypto';
import { connect, type JetStreamClient, type JetStreamManager, type NatsConnection } from 'nats';
import { ensureStreams, prefixedStreamNames, type StreamNames } from './jetstream.js';

/** Test-only helpers (not exported from the package index). */
export const natsUrl = (): string => process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

export function connectNats(): Promise<NatsConnection> {
  return connect({ servers: natsUrl(), name: 'stagecoach-events-test' });
}

/** Stream names and subjects no other test file (or a running local stack) uses. */
export function uniqueStreamNames(label: string): StreamNames {
  return prefixedStreamNames(`t${label}${randomBytes(4).toString('hex')}`);
}

/** A connection and streams of this test file's own, and how to remove them again. */
export interface IsolatedStreams {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  names: StreamNames;
  dispose(): Promise<void>;
}

export async function isolatedStreams(label: string): Promise<IsolatedStreams> {
  const nc = await connectNats();
  const jsm = await nc.jetstreamManager();
  const names = uniqueStreamNames(label);
  await ensureStreams(jsm, { names });
  return {
    nc,
    js: nc.jetstream(),
    jsm,
    names,
    async dispose() {
      await jsm.streams.delete(names.eventsStream).catch(() => undefined);
      await jsm.streams.delete(names.logsStream).catch(() => undefined);
      await nc.drain();
    },
  };
}

export async function waitFor<T>(
  probe: () => Promise<T | undefined | false>,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A run-level event of run `demo/wf/<runNumber>`; `fields` override. */
export function runEvent(runNumber: number, seq: number, fields: Partial<RunEvent> = {}): RunEvent {
  return {
    runId: `demo/wf/${runNumber}`,
    seq,
    retryNum: 0,
    project: 'demo',
    workflow: 'wf',
    runNumber,
    kind: 'run',
    status: 'running',
    time: 1_700_000_000_000 + seq * 1000,
    ...fields,
  };
}
