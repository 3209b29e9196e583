import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import pg from 'pg';
import { aptInstall, which } from './binaries.js';

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The server's maintenance database, used to create and drop others. */
export function adminUrl(url: string): string {
  const u = new URL(url);
  u.pathname = '/postgres';
  return u.toString();
}

/**
 * Makes sure the PostgreSQL server behind `url` answers. For the local default server we start the
 * Debian cluster when it is stopped, and install it first when it is missing (root + apt only).
 */
export async function ensurePostgres(url: string, log: (line: string) => void = console.error): Promise<void> {
  if (await canConnect(adminUrl(url))) return;
  const host = new URL(url).hostname;
  if (host !== '127.0.0.1' && host !== 'localhost')
    throw new Error(`PostgreSQL at ${host} does not answer (DATABASE_URL)`);
  if (!which('pg_ctlcluster', ['/usr/bin'])) {
    log('installing PostgreSQL from Debian packages ...');
    if (!aptInstall('postgresql'))
      throw new Error('PostgreSQL is not running and cannot be installed here (needs root and apt)');
  }
  const version = readdirSync('/etc/postgresql').sort().at(-1);
  if (!version) throw new Error('no PostgreSQL cluster found under /etc/postgresql');
  log(`starting PostgreSQL ${version} ...`);
  execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'start'], { stdio: 'inherit' });
  // A fresh Debian cluster only trusts the postgres OS user over the socket: allow local TCP logins for development.
  if (!(await canConnect(adminUrl(url)))) {
    execFileSync('su', ['postgres', '-c', `psql -c "ALTER USER postgres PASSWORD 'postgres'"`], { stdio: 'inherit' });
    throw new Error(
      'PostgreSQL started but refuses the connection; set DATABASE_URL with credentials (postgres:postgres now works)',
    );
  }
}
