import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { SEARCH_ATTRIBUTES } from '@stagecoach/contracts';
import { temporalBinary } from './binaries.js';
import { ExitedEarlyError, freePort, startManaged, waitUntilListening, type Managed } from './processes.js';

/** `KEYWORD_LIST` -> `KeywordList`: the type names `temporal server start-dev --search-attribute` takes. */
const cliTypeName = (type: string) =>
  type
    .split('_')
    .map((word) => word[0] + word.slice(1).toLowerCase())
    .join('');

/**
 * Runs' custom search attributes (@stagecoach/contracts) as `--search-attribute` values of the dev server
 * (`StagecoachProject=Keyword`); production namespaces get them from `register-search-attributes`
 * (@stagecoach/runs) instead.
 */
export const DEV_SERVER_SEARCH_ATTRIBUTES = SEARCH_ATTRIBUTES.map(({ name, type }) => `${name}=${cliTypeName(type)}`);

/**
 * Server settings for low hand-off latency. The transfer queue that dispatches workflow and activity
 * tasks polls at most 20 times a second by default, which alone added ~35 ms to every task here;
 * eager activity execution hands activities to the worker in the workflow task's reply. Approvals,
 * decisions and resumes are Temporal Updates.
 */
export const TEMPORAL_DYNAMIC_CONFIG = [
  'frontend.enableUpdateWorkflowExecution=true',
  'history.transferProcessorMaxPollRPS=10000',
  'system.enableActivityEagerExecution=true',
];

export interface TemporalServer {
  address: string;
  uiUrl: string;
  process: Managed;
}

export interface TemporalOptions {
  /** SQLite file that keeps runs across restarts; without it the server is ephemeral */
  dbFile?: string;
  port?: number;
  uiPort?: number;
  /** where ports not given come from (tests take one away on purpose) */
  pickPort?: () => Promise<number>;
}

/** `temporal server start-dev`. Ports default to free ones. */
export async function startTemporal(options: TemporalOptions = {}): Promise<TemporalServer> {
  // A port picked here can be taken before the server binds it (seen here for the UI port; the dev
  // server picks free ports for its own internal services the same way); the server then exits, and
  // fresh ports let the next start succeed.
  const attempts = options.port === undefined || options.uiPort === undefined ? 3 : 1;
  for (let attempt = 1; ; attempt++) {
    try {
      return await startTemporalOnce(options);
    } catch (err) {
      if (attempt >= attempts || !(err instanceof ExitedEarlyError)) throw err;
    }
  }
}

async function startTemporalOnce(options: TemporalOptions): Promise<TemporalServer> {
  const binary = temporalBinary();
  const pickPort = options.pickPort ?? freePort;
  const port = options.port ?? (await pickPort());
  const uiPort = options.uiPort ?? (await pickPort());
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--ui-port',
    String(uiPort),
    '--log-level',
    'error',
  ];
  if (options.dbFile) {
    mkdirSync(dirname(options.dbFile), { recursive: true });
    args.push('--db-filename', options.dbFile);
  }
  for (const attribute of DEV_SERVER_SEARCH_ATTRIBUTES) args.push('--search-attribute', attribute);
  for (const setting of TEMPORAL_DYNAMIC_CONFIG) args.push('--dynamic-config-value', setting);
  const proc = startManaged('temporal', binary, args);
  await waitUntilListening(proc, 'Temporal dev server', port, 60_000);
  return { address: `127.0.0.1:${port}`, uiUrl: `http://127.0.0.1:${uiPort}`, process: proc };
}
