/** One setting: its environment key, default and parser. */
export interface Setting<T> {
  key: string;
  default?: T;
  parse: (raw: string) => T;
  description: string;
}

export const str = (key: string, description: string, dflt?: string): Setting<string> => ({
  key,
  description,
  default: dflt,
  parse: (raw) => raw,
});

export const int = (key: string, description: string, dflt?: number): Setting<number> => ({
  key,
  description,
  default: dflt,
  parse: (raw) => {
    if (!/^-?\d+$/.test(raw.trim())) throw new Error(`expected an integer, got "${raw}"`);
    return Number(raw);
  },
});

/** A TCP port: an integer from 1 to 65535. */
export const port = (key: string, description: string, dflt?: number): Setting<number> => {
  const integer = int(key, description, dflt);
  return {
    ...integer,
    parse: (raw) => {
      const value = integer.parse(raw);
      if (value < 1 || value > 65_535) throw new Error(`expected a port number (1-65535), got "${raw}"`);
      return value;
    },
  };
};

type Values<S extends Record<string, Setting<unknown>>> = {
  readonly [K in keyof S]: S[K] extends Setting<infer T> ? T : never;
};

/** Reads every setting at once and fails listing every missing or malformed key. */
export function loadConfig<S extends Record<string, Setting<unknown>>>(
  settings: S,
  env: Record<string, string | undefined> = process.env,
): Values<S> {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, setting] of Object.entries(settings)) {
    const raw = env[setting.key];
    if (raw === undefined || raw === '') {
      if (setting.default === undefined) problems.push(`${setting.key}: required (${setting.description})`);
      else out[name] = setting.default;
      continue;
    }
    try {
      out[name] = setting.parse(raw);
    } catch (err) {
      problems.push(`${setting.key}: ${(err as Error).message}`);
    }
  }
  if (problems.length > 0) throw new Error(`invalid configuration:\n  ${problems.join('\n  ')}`);
  return Object.freeze(out) as Values<S>;
}

/** Settings shared by the services. Defaults are the local development stack's. */
export const commonSettings = {
  databaseUrl: str('DATABASE_URL', 'PostgreSQL connection string', 'postgres://postgres@127.0.0.1:5432/stagecoach'),
  temporalAddress: str('TEMPORAL_ADDRESS', 'Temporal frontend host:port', '127.0.0.1:7233'),
  temporalNamespace: str('TEMPORAL_NAMESPACE', 'Temporal namespace', 'default'),
  natsUrl: str('NATS_URL', 'NATS server URL', 'nats://127.0.0.1:4222'),
  taskQueue: str(
    'STAGECOACH_TASK_QUEUE',
    'Temporal task queue of run workflows and their activities',
    'stagecoach-orchestration',
  ),
  streamPrefix: str(
    'STAGECOACH_STREAM_PREFIX',
    'prefix isolating JetStream streams and subjects (empty: the standard names)',
    '',
  ),
  secretKey: str(
    'STAGECOACH_SECRET_KEY',
    'key that encrypts secrets at rest (any string; hashed to 256 bits)',
    'development-only-secret-key-change-me',
  ),
};

/** SMTP for mail notifications and `notification` jobs (notifier and worker). */
export const mailSettings = {
  smtpUrl: str('STAGECOACH_SMTP_URL', 'SMTP server for mail, smtp://user:pass@host:port (empty: mail is not sent)', ''),
  mailFrom: str('STAGECOACH_MAIL_FROM', 'sender address of mail', 'Stagecoach <stagecoach@localhost>'),
};
