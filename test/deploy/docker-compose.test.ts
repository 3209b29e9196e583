// docker-compose.yml cannot be run here (no Docker engine), so it is held to what the code says instead:
// the Temporal server the services need, and every setting each service reads.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  DEV_SERVER_SEARCH_ATTRIBUTES,
  readEnvFile,
  TEMPORAL_CLI_VERSIONS,
  TEMPORAL_DYNAMIC_CONFIG,
} from '@stagecoach/stack';
import { LOGGER_SETTING, SERVICES, settingsRead } from './service-settings.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface ComposeService {
  image?: string;
  command?: string[];
  env_file?: string;
  environment?: Record<string, string | number>;
  ports?: string[];
}
const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
};

/** What a service's process sees: its env_file, then its environment on top. */
function environmentOf(service: ComposeService): Record<string, string> {
  const fromFile = service.env_file ? readEnvFile(join(ROOT, service.env_file)) : {};
  const own = Object.fromEntries(Object.entries(service.environment ?? {}).map(([k, v]) => [k, String(v)]));
  return { ...fromFile, ...own };
}

/** The values of a command's `--flag=value` arguments */
const flagValues = (command: string[], flag: string) =>
  command.filter((arg) => arg.startsWith(`${flag}=`)).map((arg) => arg.slice(flag.length + 1));

describe('docker-compose.yml', () => {
  const temporal = compose.services.temporal!;

  it('runs the Temporal dev server with the search attributes and dynamic config `npm start` gives it', () => {
    expect(flagValues(temporal.command!, '--search-attribute')).toEqual(DEV_SERVER_SEARCH_ATTRIBUTES);
    expect(flagValues(temporal.command!, '--dynamic-config-value')).toEqual(TEMPORAL_DYNAMIC_CONFIG);
  });

  it('uses the Temporal CLI release `npm start` builds', () => {
    expect(temporal.image).toBe(`temporalio/temporal:${TEMPORAL_CLI_VERSIONS[0].slice(1)}`);
  });

  it('migrates with the migration command that exists', () => {
    const command = compose.services.migrate!.command!;
    expect(existsSync(join(ROOT, command.at(-1)!))).toBe(true);
  });

  it.each(SERVICES)('%s: runs the service and sets every setting it needs', (name) => {
    const service = compose.services[name];
    expect(service, `no "${name}" service`).toBeDefined();
    expect(service!.command!.at(-1)).toBe(`services/${name}/src/main.ts`);

    const env = environmentOf(service!);
    const missing = settingsRead(name).filter((s) => s.required && !env[s.key]);
    expect(missing.map((s) => s.key)).toEqual([]);
  });

  it.each(SERVICES)('%s: every server address names a service of this file', (name) => {
    const env = environmentOf(compose.services[name]!);
    const hosts = [
      new URL(env.DATABASE_URL!).hostname,
      env.TEMPORAL_ADDRESS!.split(':')[0],
      new URL(env.NATS_URL!).hostname,
    ];
    for (const host of hosts) expect(Object.keys(compose.services)).toContain(host);
  });

  it.each(SERVICES)('%s: every published port is one the service listens on, on every interface', (name) => {
    const service = compose.services[name]!;
    const env = environmentOf(service);
    const read = settingsRead(name).map((s) => s.key);
    const listening = read.filter((key) => key.endsWith('_PORT')).map((key) => env[key]);
    for (const mapping of service.ports ?? []) expect(listening).toContain(mapping.split(':').at(-1));
    if (service.ports?.length) {
      const hostKey = read.find((key) => key.endsWith('_HOST'));
      expect(hostKey && env[hostKey], `${name} publishes ports but listens on 127.0.0.1`).toBe('0.0.0.0');
    }
  });

  it('sets no variable that no service reads (a misspelt one would be ignored silently)', () => {
    const read = new Set([LOGGER_SETTING, ...SERVICES.flatMap((name) => settingsRead(name).map((s) => s.key))]);
    for (const name of SERVICES) {
      const unknown = Object.keys(environmentOf(compose.services[name]!)).filter((key) => !read.has(key));
      expect(unknown, name).toEqual([]);
    }
  });
});
