import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { publishStaging, stagingFolder } from './build-folder.js';

/** Built binaries live outside the clone so every checkout on the machine reuses them. */
export function cacheDir(): string {
  const base =
    process.env.STAGECOACH_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'stagecoach');
  mkdirSync(base, { recursive: true });
  return base;
}

export function which(command: string, extraDirs: string[] = []): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), ...extraDirs];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, command);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

export function goBinary(): string {
  const go = which('go', ['/usr/local/go/bin']);
  if (!go)
    throw new Error(
      'Go is needed to build a missing server binary, and no `go` was found on PATH or in /usr/local/go/bin',
    );
  return go;
}

/**
 * `go install` a module at the first version that builds into a cache folder keyed by version, and
 * return the binary path. Later calls find the cached binary and return at once.
 */
export function goInstalled(
  binary: string,
  module: string,
  versions: readonly string[],
  log: (line: string) => void = console.error,
): string {
  for (const version of versions) {
    const target = join(cacheDir(), 'go-bin', `${binary}-${version}`, binary);
    if (existsSync(target)) return target;
  }
  const go = goBinary();
  const failures: string[] = [];
  for (const version of versions) {
    const dir = join(cacheDir(), 'go-bin', `${binary}-${version}`);
    log(`building ${module}@${version} with Go (once; cached in ${dir}) ...`);
    // Into a folder of this process's own: two processes building at once (`npm start` beside `npm test`
    // on a new machine) must neither fail on each other's half-written binary nor run it.
    const staging = stagingFolder(dir);
    const result = spawnSync(go, ['install', `${module}@${version}`], {
      env: { ...process.env, GOBIN: staging, CGO_ENABLED: process.env.CGO_ENABLED ?? '0' },
      stdio: ['ignore', 'inherit', 'pipe'],
      encoding: 'utf8',
    });
    const target = join(dir, binary);
    const built = (folder: string) => existsSync(join(folder, binary));
    if (result.status === 0 && built(staging)) {
      publishStaging(staging, dir, built);
      return target;
    }
    rmSync(staging, { recursive: true, force: true });
    failures.push(`${version}: ${(result.stderr ?? '').trim().split('\n').slice(-3).join(' / ')}`);
  }
  throw new Error(`could not build ${module}: ${failures.join('; ')}`);
}

export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';
/** v1.5.1's go.mod has no replace directive; later tags carry one that `go install` refuses. */
export const TEMPORAL_CLI_VERSIONS = ['v1.5.1', 'v1.4.1', 'v1.3.0'] as const;

export function temporalBinary(): string {
  return (
    process.env.STAGECOACH_TEMPORAL_BIN ??
    which('temporal') ??
    goInstalled('temporal', TEMPORAL_CLI_MODULE, TEMPORAL_CLI_VERSIONS)
  );
}

export const NATS_SERVER_MODULE = 'github.com/nats-io/nats-server/v2';
export const NATS_SERVER_VERSIONS = ['v2.10.29'] as const;

/**
 * Installs a Debian package when we are root and apt exists; false when that is not possible or
 * fails (the caller has another way or says what to install).
 */
export function aptInstall(pkg: string): boolean {
  if (process.getuid?.() !== 0 || !which('apt-get')) return false;
  const apt = (...args: string[]) =>
    execFileSync('apt-get', args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  try {
    apt('install', '-y', '-q', pkg);
    return true;
  } catch {
    // A fresh machine may have no package lists yet: fetch them once and try again.
    try {
      apt('update', '-q');
      apt('install', '-y', '-q', pkg);
      return true;
    } catch {
      return false;
    }
  }
}

/** nats-server from PATH, Debian's package (installed when we are root and apt exists), or its Go module. */
export function natsServerBinary(): string {
  const found = process.env.STAGECOACH_NATS_BIN ?? which('nats-server', ['/usr/sbin', '/usr/bin']);
  if (found) return found;
  if (aptInstall('nats-server')) {
    const installed = which('nats-server', ['/usr/sbin', '/usr/bin']);
    if (installed) return installed;
  }
  return goInstalled('nats-server', NATS_SERVER_MODULE, NATS_SERVER_VERSIONS);
}

/** Debian's Chromium for browser tests (Playwright drives it; no browser is downloaded). */
export function chromiumBinary(): string {
  const found = process.env.STAGECOACH_CHROMIUM_BIN ?? which('chromium', ['/usr/bin']);
  if (found) return found;
  if (aptInstall('chromium')) {
    const installed = which('chromium', ['/usr/bin']);
    if (installed) return installed;
  }
  throw new Error("Chromium is needed for the browser tests: install Debian's `chromium` package");
}
