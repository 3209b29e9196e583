import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { createServer, connect } from 'node:net';

/** A port the OS says is free right now. */
export async function freePort(): Promise<number> {
  const port = await bindAndRelease(0);
  if (port === undefined) throw new Error('no free port');
  return port;
}

/**
 * A free port below Linux's ephemeral range (32768 and up), for a port that must stay free for a
 * while before its server binds it: one the kernel hands out (freePort) is, meanwhile, free for the
 * kernel to give any outgoing connection as its local port. Never one of `taken`, which it joins.
 */
export async function freePortBelowEphemeralRange(taken: Set<number>): Promise<number> {
  for (;;) {
    const candidate = 20_000 + Math.floor(Math.random() * 12_000);
    if (taken.has(candidate) || (await bindAndRelease(candidate)) === undefined) continue;
    taken.add(candidate);
    return candidate;
  }
}

/** Binds `port` on loopback and lets it go: the port bound (the OS's pick for 0), undefined when it is taken. */
function bindAndRelease(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : undefined));
    });
  });
}

export async function isPortOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Whether process `pid` itself listens on TCP `port`. A port picked free can be taken by another
 * process before our server binds it; a check that only connects would then take the other process
 * for ours while ours fails to bind and exits. Reads Linux's /proc; where there is none, it only
 * checks that something listens.
 */
export async function listensOn(pid: number, port: number): Promise<boolean> {
  let sockets: Set<string>;
  try {
    sockets = await listeningSockets(port);
  } catch {
    return isPortOpen(port);
  }
  if (sockets.size === 0) return false;
  let fds: string[];
  try {
    fds = await readdir(`/proc/${pid}/fd`);
  } catch (err) {
    // Gone: not listening. Not ours to read (another user, hidepid): something listens, as before.
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? false : isPortOpen(port);
  }
  for (const fd of fds) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode && sockets.has(inode)) return true;
  }
  return false;
}

/** Inodes of the sockets listening on `port` (IPv4 and IPv6), from the kernel's socket tables. */
async function listeningSockets(port: number): Promise<Set<string>> {
  const portHex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const [tcp, tcp6] = await Promise.all([
    readFile('/proc/net/tcp', 'utf8'),
    readFile('/proc/net/tcp6', 'utf8').catch(() => ''),
  ]);
  const inodes = new Set<string>();
  for (const line of `${tcp}\n${tcp6}`.split('\n')) {
    // sl local_address rem_address st ... inode: st 0A is LISTEN, the inode is the tenth field.
    const fields = line.trim().split(/\s+/);
    if (fields.length > 9 && fields[1]!.endsWith(portHex) && fields[3] === '0A') inodes.add(fields[9]!);
  }
  return inodes;
}

/** A server process that ended before it became ready. */
export class ExitedEarlyError extends Error {
  constructor(what: string, exitCode: number) {
    super(`${what} exited with code ${exitCode} before it was ready`);
    this.name = 'ExitedEarlyError';
  }
}

export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  child?: ChildProcess,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new ExitedEarlyError(what, child.exitCode);
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} was not ready after ${timeoutMs} ms`);
}

/** Waits until the server `proc` started listens on `port` itself; a server that never gets there is stopped. */
export async function waitUntilListening(proc: Managed, what: string, port: number, timeoutMs: number): Promise<void> {
  try {
    await waitFor(what, () => listensOn(proc.child.pid!, port), timeoutMs, proc.child);
  } catch (err) {
    await proc.stop();
    throw err;
  }
}

/**
 * Leaders of the server process groups still running. The servers run detached (so a terminal's Ctrl-C
 * reaches the starter, which stops them in order); a starter that exits without stopping them, a
 * benchmark whose own code threw say, takes them down on its way out.
 */
const runningGroups = new Set<number>();
process.on('exit', () => {
  for (const group of runningGroups) killGroup(group, 'SIGTERM');
});

/** A child process we started and must stop: the whole process group goes down with it. */
export interface Managed {
  name: string;
  child: ChildProcess;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export function startManaged(
  name: string,
  command: string,
  args: string[],
  options: SpawnOptions & { logFile?: string } = {},
): Managed {
  const child = spawn(command, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], ...options });
  const tail: string[] = [];
  const keep = (chunk: Buffer) => {
    tail.push(chunk.toString());
    if (tail.length > 50) tail.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  if (child.pid) runningGroups.add(child.pid);
  child.on('exit', (code, signal) => {
    runningGroups.delete(child.pid!);
    if (code && code !== 0 && !stopping)
      process.stderr.write(`[${name}] exited with ${code ?? signal}\n${tail.join('')}\n`);
  });
  let stopping = false;
  return {
    name,
    child,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      stopping = true;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      killGroup(child.pid, signal);
      const timer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}
