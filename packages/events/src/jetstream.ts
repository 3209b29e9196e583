import {
  EVENTS_STREAM,
  EVENTS_SUBJECT_PREFIX,
  LOGS_STREAM,
  LOGS_SUBJECT_PREFIX,
  subjectToken,
} from '@stagecoach/contracts';
import {
  DiscardPolicy,
  nanos,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
  type StreamInfo,
} from 'nats';

/** Stream names and subject prefixes. Production uses the contract names; tests use their own set. */
export interface StreamNames {
  eventsStream: string;
  eventsSubjectPrefix: string;
  logsStream: string;
  logsSubjectPrefix: string;
}

export const DEFAULT_STREAM_NAMES: StreamNames = Object.freeze({
  eventsStream: EVENTS_STREAM,
  eventsSubjectPrefix: EVENTS_SUBJECT_PREFIX,
  logsStream: LOGS_STREAM,
  logsSubjectPrefix: LOGS_SUBJECT_PREFIX,
});

/**
 * Names isolated by `prefix` (letters, digits, `_`, `-`): streams `<PREFIX>_STAGECOACH_EVENTS`, subjects
 * `<prefix>.stagecoach.events.>`. Two streams may not share subjects, so a test cannot reuse the
 * production subjects next to a running stack; it needs its own subject space as well as stream names.
 */
export function prefixedStreamNames(prefix: string): StreamNames {
  if (!/^[A-Za-z0-9_-]+$/.test(prefix)) throw new Error(`invalid stream prefix "${prefix}"`);
  return {
    eventsStream: `${prefix.toUpperCase()}_${EVENTS_STREAM}`,
    eventsSubjectPrefix: `${prefix}.${EVENTS_SUBJECT_PREFIX}`,
    logsStream: `${prefix.toUpperCase()}_${LOGS_STREAM}`,
    logsSubjectPrefix: `${prefix}.${LOGS_SUBJECT_PREFIX}`,
  };
}

/** `<prefix>.<project>.<workflow>.<run>`: one subject per run. */
export function runEventSubject(names: StreamNames, project: string, workflow: string, runNumber: number): string {
  return `${names.eventsSubjectPrefix}.${subjectToken(project)}.${subjectToken(workflow)}.${runNumber}`;
}

/** `<prefix>.<project>.<workflow>.<run>.<job>`: one subject per job of a run. */
export function jobLogSubject(
  names: StreamNames,
  project: string,
  workflow: string,
  runNumber: number,
  job: string,
): string {
  return `${names.logsSubjectPrefix}.${subjectToken(project)}.${subjectToken(workflow)}.${runNumber}.${subjectToken(job)}`;
}

/** Every job log subject of one run: `<prefix>.<project>.<workflow>.<run>.>`. */
export function runLogsFilter(names: StreamNames, project: string, workflow: string, runNumber: number): string {
  return `${names.logsSubjectPrefix}.${subjectToken(project)}.${subjectToken(workflow)}.${runNumber}.>`;
}

const DAY_MS = 24 * 60 * 60 * 1000;
export const EVENTS_MAX_AGE_MS = 30 * DAY_MS;
export const LOGS_MAX_AGE_MS = 30 * DAY_MS;
/** A publish retried within this window (same Nats-Msg-Id) is stored once. */
export const EVENTS_DUPLICATE_WINDOW_MS = 2 * 60 * 1000;

/** A stream config as passed to `jsm.streams.add`: the name is required, everything else defaults. */
export type StreamSettings = Partial<StreamConfig> & { name: string };

export function eventsStreamConfig(names: StreamNames = DEFAULT_STREAM_NAMES): StreamSettings {
  return {
    name: names.eventsStream,
    subjects: [`${names.eventsSubjectPrefix}.>`],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    max_age: nanos(EVENTS_MAX_AGE_MS),
    duplicate_window: nanos(EVENTS_DUPLICATE_WINDOW_MS),
  };
}

export function logsStreamConfig(names: StreamNames = DEFAULT_STREAM_NAMES): StreamSettings {
  return {
    name: names.logsStream,
    subjects: [`${names.logsSubjectPrefix}.>`],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    max_age: nanos(LOGS_MAX_AGE_MS),
  };
}

export interface EnsureStreamsOptions {
  names?: StreamNames;
  /** Replicas for a clustered server; 1 on a single server. */
  replicas?: number;
}

/** Creates the events and logs streams, or updates them to the current config. Safe to call on every start. */
export async function ensureStreams(
  jsm: JetStreamManager,
  opts: EnsureStreamsOptions = {},
): Promise<{ events: StreamInfo; logs: StreamInfo }> {
  const names = opts.names ?? DEFAULT_STREAM_NAMES;
  const replicas = opts.replicas ?? 1;
  const events = await ensureStream(jsm, { ...eventsStreamConfig(names), num_replicas: replicas });
  const logs = await ensureStream(jsm, { ...logsStreamConfig(names), num_replicas: replicas });
  return { events, logs };
}

async function ensureStream(jsm: JetStreamManager, config: StreamSettings): Promise<StreamInfo> {
  const existing = await jsm.streams.info(config.name).catch((err: unknown) => {
    if (isNotFound(err)) return undefined;
    throw err;
  });
  if (!existing) {
    try {
      return await jsm.streams.add(config);
    } catch (err) {
      // Another process created it first (two services starting together): fall through to update.
      if (!String((err as Error).message).includes('already in use')) throw err;
    }
  }
  // Storage cannot change on an existing stream, so it is left out of the update.
  const { storage: _storage, ...updatable } = config;
  return jsm.streams.update(config.name, updatable);
}

/** JetStream API "not found" errors (stream 10059, consumer 10014) carry code 404. */
export function isNotFound(err: unknown): boolean {
  const e = err as { code?: unknown; api_error?: { code?: number }; message?: string } | undefined;
  return e?.api_error?.code === 404 || e?.code === '404' || /not found/i.test(e?.message ?? '');
}
