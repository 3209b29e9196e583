import type { FreestyleSpec } from '@stagecoach/spec';

/** Receives job output that is already masked; the caller only stores or forwards it. */
export interface LogSink {
  write(text: string): void;
}

export interface FreestyleJobInput {
  runId: string;
  job: string;
  /** already rendered */
  spec: FreestyleSpec;
  /** params + built-ins + job envs, non-secret */
  env: Record<string, string>;
  /** credential values: exported as env vars, masked in all output */
  secrets: Record<string, string>;
  /** parent folder; the job gets a fresh folder under it */
  workspaceRoot: string;
}

export interface FreestyleJobResult {
  outputs: Record<string, string>;
  exitCode: number;
}

export interface FreestyleJobDeps {
  log: LogSink;
  signal: AbortSignal;
  heartbeat: (details?: unknown) => void;
  /** process group of a previous attempt that died with its worker; killed before this attempt starts */
  previousPgid?: number;
  /** overrides `advanced_setting.timeout` (tests: spec timeouts are whole minutes) */
  timeoutMs?: number;
  /** SIGTERM → SIGKILL grace, default 5 s */
  killGraceMs?: number;
  /** default 2 s */
  heartbeatIntervalMs?: number;
}

/** Heartbeat payload; the next attempt reads `pgid` back from `heartbeatDetails` as `previousPgid`. */
export interface FreestyleHeartbeat {
  pgid: number;
}
