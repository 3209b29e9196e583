// `npm start` as a new user runs it, for the tests of the README's first command: in the repository,
// with .env.example's defaults and only the ports, database and state folder moved aside so that it
// can run beside the test servers, in a process group of its own as in a terminal.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { expect } from 'vitest';
import { listProcesses, ownProcessGroup, signalGroup, type ProcessStat } from '@stagecoach/launcher';
import { freePortBelowEphemeralRange, isPortOpen, readEnvFile } from '@stagecoach/stack';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** .env.example's admin token. */
const TOKEN = 'dev-admin-token';

export interface Ports {
  temporal: number;
  temporalUi: number;
  nats: number;
  gateway: number;
  grpc: number;
  trigger: number;
}

/** A running `npm start`, in a process group of its own as in a terminal, and what it printed so far. */
export class NpmStart {
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
    // start.ts stops its processes one after another, each given 10 s before SIGKILL.
    const gaveUp = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`npm start still running 90 s after Ctrl-C:\n${this.output}`)), 90_000).unref(),
    );
    return Promise.race([this.exited, gaveUp]);
  }

  /**
   * After a failed test: Ctrl-C, so that start.ts stops what it ran and removes what it made (a local
   * cluster's folder in /dev/shm), then SIGKILL to the group if that has not ended within `graceMs`.
   */
  async stop(graceMs: number): Promise<void> {
    if (this.hasExited) return;
    signalGroup(this.child.pid!, 'SIGINT');
    const ended = await Promise.race([
      this.exited.then(() => true),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), graceMs).unref()),
    ]);
    if (!ended) signalGroup(this.child.pid!, 'SIGKILL');
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

/**
 * Ports, a database and a state folder of its own for `npm start`, and the environment a new user has:
 * .env.example's settings, given explicitly so that a developer's own .env (which start.ts reads under
 * the environment) changes nothing; the built server binaries are reused. cleanup() kills whatever
 * is left and drops the database.
 */
export class NpmStartSandbox {
  private readonly running: NpmStart[] = [];
  /** Set once cleanup began: a test body vitest timed out must not start the stack again after it. */
  private tornDown = false;

  private constructor(
    readonly ports: Ports,
    readonly stateDir: string,
    readonly env: NodeJS.ProcessEnv,
    private readonly databaseName: string,
  ) {}

  static async create(extraEnv: Record<string, string> = {}): Promise<NpmStartSandbox> {
    // Ports the stack's own outgoing connections cannot take before its services bind them (seen: the
    // gateway's gRPC port, picked by the kernel, lost that way).
    const taken = new Set<number>();
    const ports: Ports = {
      temporal: await freePortBelowEphemeralRange(taken),
      temporalUi: await freePortBelowEphemeralRange(taken),
      nats: await freePortBelowEphemeralRange(taken),
      gateway: await freePortBelowEphemeralRange(taken),
      grpc: await freePortBelowEphemeralRange(taken),
      trigger: await freePortBelowEphemeralRange(taken),
    };
    const stateDir = mkdtempSync(join(tmpdir(), 'stagecoach-npm-start-'));
    const databaseName = `sc_npm_start_${Date.now().toString(36)}`;
    const databaseUrl = new URL(process.env.DATABASE_URL!);
    databaseUrl.pathname = `/${databaseName}`;
    const kept = [
      'PATH',
      'HOME',
      'TMPDIR',
      'LANG',
      'STAGECOACH_CACHE_DIR',
      'STAGECOACH_TEMPORAL_BIN',
      'STAGECOACH_NATS_BIN',
    ];
    const env = {
      ...Object.fromEntries(kept.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]])),
      ...readEnvFile(join(ROOT, '.env.example')),
      DATABASE_URL: databaseUrl.toString(),
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
      ...extraEnv,
    };
    return new NpmStartSandbox(ports, stateDir, env, databaseName);
  }

  /** `npm start`, once it has printed where everything is. */
  async start(): Promise<NpmStart> {
    if (this.tornDown) throw new Error('cleaned up already');
    const start = new NpmStart(this.env);
    this.running.push(start);
    await start.waitFor('Ctrl-C stops everything.', 150_000);
    return start;
  }

  /** A call to the gateway as the admin, with a JSON body when there is one. */
  async api(method: string, path: string, body?: unknown): Promise<ApiAnswer> {
    const res = await fetch(`http://127.0.0.1:${this.ports.gateway}${path}`, {
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

  /** Polls the detail of run `n` of workflow demo/`workflow` until `done` says so. */
  async waitForRun(workflow: string, n: number, done: (run: any) => boolean, timeoutMs = 60_000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    let run: any;
    while (Date.now() < deadline) {
      run = (await this.api('GET', `/api/v1/projects/demo/workflows/${workflow}/runs/${n}`)).body;
      if (done(run)) return run;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`run ${workflow}/${n} did not get there; last: ${JSON.stringify(run)}`);
  }

  /** Ctrl-C, then nothing npm start ran is left: no process, no open port. */
  async expectAllStopped(start: NpmStart): Promise<void> {
    // npm itself ends on the SIGINT (as it does in a terminal); the script's own work shows in what it printed and left.
    expect([
      { code: 0, signal: null },
      { code: null, signal: 'SIGINT' },
    ]).toContainEqual(await start.interrupt());
    expect(start.output).toContain('stopping ...');
    for (const [name, port] of Object.entries(this.ports))
      expect({ name, open: await isPortOpen(port) }).toEqual({ name, open: false });
    expect(processesWith(this.stateDir)).toEqual([]);
  }

  async cleanup(): Promise<void> {
    this.tornDown = true;
    try {
      for (const start of this.running) await start.stop(30_000);
      // Anything npm start left is found by its environment.
      for (let round = 0; round < 50; round++) {
        const left = processesWith(this.stateDir);
        if (left.length === 0) break;
        // Each server and service npm start ran leads a process group of its own (never this one's).
        for (const { pgrp } of left) if (pgrp !== ownProcessGroup()) signalGroup(pgrp, 'SIGKILL');
        await new Promise((r) => setTimeout(r, 200));
      }
      rmSync(this.stateDir, { recursive: true, force: true });
    } finally {
      const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS "${this.databaseName}" WITH (FORCE)`);
      await admin.end();
    }
  }
}

export interface ApiAnswer {
  status: number;
  body: any;
}
