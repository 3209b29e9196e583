// `npm start` as a new user runs it: the README's command in the repository, with .env.example's
// defaults and only the ports, database and state folder moved aside so that it can run beside the
// test servers. It must start its own Temporal dev server and NATS, create and migrate its database,
// start the four services, seed the demo, print where everything is, run the demo end to end, keep
// Temporal's data in its state folder across a restart, and stop everything it started on Ctrl-C.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWorkflowId } from '@stagecoach/contracts';
import { isTerminal } from '@stagecoach/spec';
import { listProcesses, ownProcessGroup, signalGroup, type ProcessStat } from '@stagecoach/launcher';
import { freePortBelowEphemeralRange, isPortOpen, readEnvFile } from '@stagecoach/stack';
import { job } from '@stagecoach/testkit';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TOKEN = 'dev-admin-token';

interface Ports {
  temporal: number;
  temporalUi: number;
  nats: number;
  gateway: number;
  grpc: number;
  trigger: number;
}

/** A running `npm start`, in a process group of its own as in a terminal, and what it printed so far. */
class NpmStart {
  output = '';
  /** npm's own end, once everything that shares its output (all it started) has ended too */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private hasExited = false;
  private readonly child: ChildProcess;

  constructor(env: NodeJS.ProcessEnv) {
    this.child = spawn('npm', ['start'], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const collect = (chunk: Buffer) => (this.output += chunk.toString());
    this.child.stdout!.on('data', collect);
    this.child.stderr!.on('data', collect);
    this.exited = new Promise((resolve) =>
      this.child.on('close', (code, signal) => {
        this.hasExited = true;
        resolve({ code, signal });
      }),
    );
  }

  async waitFor(text: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.output.includes(text)) {
      if (this.hasExited || Date.now() > deadline)
        throw new Error(`npm start did not print "${text}"${this.hasExited ? ' (it exited)' : ''}:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Ctrl-C: SIGINT to the whole foreground group, as a terminal sends it. */
  async interrupt(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    signalGroup(this.child.pid!, 'SIGINT');
    // start.ts stops up to six processes one after another, each given 10 s before SIGKILL.
    const gaveUp = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`npm start still running 90 s after Ctrl-C:\n${this.output}`)), 90_000).unref(),
    );
    return Promise.race([this.exited, gaveUp]);
  }

  kill(): void {
    signalGroup(this.child.pid!, 'SIGKILL');
  }
}

/** Processes started with `text` in their environment: all that npm start ran carry its state folder there. */
function processesWith(text: string): ProcessStat[] {
  return listProcesses().filter(({ pid }) => {
    try {
      return pid !== process.pid && readFileSync(`/proc/${pid}/environ`, 'utf8').includes(text);
    } catch {
      return false; // ended meanwhile
    }
  });
}

let ports: Ports;
let stateDir: string;
let databaseUrl: string;
let databaseName: string;
let env: NodeJS.ProcessEnv;
const running: NpmStart[] = [];
/** Set once cleanup began: a test body vitest timed out must not start the stack again after it. */
let tornDown = false;

beforeAll(async () => {
  // Ports the stack's own outgoing connections cannot take before its services bind them (seen: the
  // gateway's gRPC port, picked by the kernel, lost that way).
  const taken = new Set<number>();
  ports = {
    temporal: await freePortBelowEphemeralRange(taken),
    temporalUi: await freePortBelowEphemeralRange(taken),
    nats: await freePortBelowEphemeralRange(taken),
    gateway: await freePortBelowEphemeralRange(taken),
    grpc: await freePortBelowEphemeralRange(taken),
    trigger: await freePortBelowEphemeralRange(taken),
  };
  stateDir = mkdtempSync(join(tmpdir(), 'stagecoach-npm-start-'));
  databaseName = `sc_npm_start_${Date.now().toString(36)}`;
  const url = new URL(process.env.DATABASE_URL!);
  url.pathname = `/${databaseName}`;
  databaseUrl = url.toString();
  // A new user's environment: .env.example's settings, given explicitly so that a developer's own .env
  // (which start.ts reads under the environment) changes nothing here; the built server binaries are reused.
  const kept = [
    'PATH',
    'HOME',
    'TMPDIR',
    'LANG',
    'STAGECOACH_CACHE_DIR',
    'STAGECOACH_TEMPORAL_BIN',
    'STAGECOACH_NATS_BIN',
  ];
  env = {
    ...Object.fromEntries(kept.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]])),
    ...readEnvFile(join(ROOT, '.env.example')),
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: `127.0.0.1:${ports.temporal}`,
    TEMPORAL_UI_PORT: String(ports.temporalUi),
    NATS_URL: `nats://127.0.0.1:${ports.nats}`,
    GATEWAY_PORT: String(ports.gateway),
    GATEWAY_GRPC_PORT: String(ports.grpc),
    TRIGGER_PORT: String(ports.trigger),
    STAGECOACH_PUBLIC_URL: `http://127.0.0.1:${ports.gateway}`,
    STAGECOACH_HOOKS_URL: `http://127.0.0.1:${ports.trigger}`,
    STAGECOACH_STATE_DIR: stateDir,
    LOG_LEVEL: 'warn',
  };
});

afterAll(async () => {
  tornDown = true;
  try {
    for (const start of running) start.kill();
    // Anything npm start left is found by its environment.
    for (let round = 0; stateDir && round < 50; round++) {
      const left = processesWith(stateDir);
      if (left.length === 0) break;
      // Each server and service npm start ran leads a process group of its own (never this one's).
      for (const { pgrp } of left) if (pgrp !== ownProcessGroup()) signalGroup(pgrp, 'SIGKILL');
      await new Promise((r) => setTimeout(r, 200));
    }
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  } finally {
    if (databaseName) {
      const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS "${databaseName}" WITH (FORCE)`);
      await admin.end();
    }
  }
});

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`http://127.0.0.1:${ports.gateway}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${TOKEN}`,
      'x-user': 'you',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text.startsWith('{') ? JSON.parse(text) : text };
}

async function waitForRun(n: number, done: (run: any) => boolean, timeoutMs = 60_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  let run: any;
  while (Date.now() < deadline) {
    run = (await api('GET', `/api/v1/projects/demo/workflows/hello/runs/${n}`)).body;
    if (done(run)) return run;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`demo run ${n} did not get there; last: ${JSON.stringify(run)}`);
}

async function startAndWait(): Promise<NpmStart> {
  if (tornDown) throw new Error('cleaned up already');
  const start = new NpmStart(env);
  running.push(start);
  await start.waitFor('Ctrl-C stops everything.', 150_000);
  return start;
}

async function expectAllStopped(start: NpmStart): Promise<void> {
  // npm itself ends on the SIGINT (as it does in a terminal); the script's own work shows in what it printed and left.
  expect([
    { code: 0, signal: null },
    { code: null, signal: 'SIGINT' },
  ]).toContainEqual(await start.interrupt());
  expect(start.output).toContain('stopping ...');
  for (const [name, port] of Object.entries(ports))
    expect({ name, open: await isPortOpen(port) }).toEqual({ name, open: false });
  expect(processesWith(stateDir)).toEqual([]);
}

describe('npm start', () => {
  it('starts everything with embedded defaults, runs the demo, and stops it all on Ctrl-C', async () => {
    const start = await startAndWait();
    expect(start.output).toContain(`API            http://127.0.0.1:${ports.gateway}/api/v1`);
    expect(start.output).toContain(`API docs       http://127.0.0.1:${ports.gateway}/docs`);
    expect(start.output).toContain(`Temporal UI    http://127.0.0.1:${ports.temporalUi}`);
    expect(start.output).not.toContain('already at');
    expect((await fetch(`http://127.0.0.1:${ports.gateway}/docs`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${ports.temporalUi}`)).status).toBe(200);

    // The seeded demo, run as the README says, through its approval to the end.
    const started = await api('POST', '/api/v1/projects/demo/workflows/hello/runs', {});
    expect(started.status).toBe(201);
    const n = started.body.run_number as number;
    // The first job waits for the worker, which bundles the workflow code as it starts.
    await waitForRun(n, (run) => job(run, 'release-approval').status === 'wait_for_approval', 180_000);
    const vote = await api('POST', `/api/v1/projects/demo/workflows/hello/runs/${n}/approvals`, {
      job: 'release-approval',
      approve: true,
    });
    expect(vote.status).toBe(200);
    const run = await waitForRun(n, (r) => isTerminal(r.status));
    expect(run.status).toBe('passed');
    expect(job(run, 'build').outputs).toEqual({ IMAGE: `demo/hello:${n}` });
    const smoke = await api('GET', `/api/v1/projects/demo/workflows/hello/runs/${n}/jobs/smoke/logs`);
    expect(smoke.body).toContain(`smoke testing demo/hello:${n} on staging`);

    await expectAllStopped(start);
    // Its servers kept their data where it was told to.
    expect(existsSync(join(stateDir, 'temporal.db'))).toBe(true);
    expect(existsSync(join(stateDir, 'nats', 'jetstream'))).toBe(true);

    // Started again on the same state folder: Temporal kept the run, and seeding again changed nothing.
    const again = await startAndWait();
    const temporal = new Client({ connection: await Connection.connect({ address: env.TEMPORAL_ADDRESS! }) });
    try {
      const described = await temporal.workflow.getHandle(runWorkflowId('demo', 'hello', n)).describe();
      expect(described.status.name).toBe('COMPLETED');
    } finally {
      await temporal.connection.close();
    }
    const versions = await api('GET', '/api/v1/projects/demo/workflows/hello/versions');
    expect(versions.status).toBe(200);
    expect(versions.body.versions).toHaveLength(1);
    await expectAllStopped(again);
  }, 900_000);
});
