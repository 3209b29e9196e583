// A `notification` job's channel credentials travel outside Temporal: the run seals them when it starts
// and the job's activity puts them back, so neither histories nor activity inputs hold them.
import { isObj, type Obj } from './checker.js';
import { CHANNEL_CONFIG } from './notify.js';

/** Per channel config key (`webhook_notification_config`, ...), its credential fields and their values. */
export type ChannelSecrets = Record<string, Record<string, string>>;

/** A custom bot's hook address carries its access token; `secret` and `token` sign the request. */
const CREDENTIAL_FIELDS: Record<string, readonly string[]> = Object.fromEntries(
  Object.values(CHANNEL_CONFIG).map(({ key, address }) => [key, [address, 'secret', 'token']]),
);

/**
 * Takes the credentials out of a notification job's (first-pass rendered) spec. A value still waiting
 * for a run variable stays: it is a template, not a credential, and is filled in when the job starts (a
 * credential param in it by the activity, from the run's sealed params).
 */
export function takeChannelSecrets(spec: Obj): { spec: Obj; secrets: ChannelSecrets } {
  const out: Obj = { ...spec };
  const secrets: ChannelSecrets = {};
  for (const [key, fields] of Object.entries(CREDENTIAL_FIELDS)) {
    const config = spec[key];
    if (!isObj(config)) continue;
    const kept: Obj = { ...config };
    for (const field of fields) {
      const value = config[field];
      if (typeof value !== 'string' || value === '' || value.includes('{{')) continue;
      (secrets[key] ??= {})[field] = value;
      delete kept[field];
    }
    out[key] = kept;
  }
  return { spec: out, secrets };
}

/**
 * Puts credentials taken by takeChannelSecrets back into the spec the job sends with. A field the spec
 * holds again (an input edited at a manual stage) is the newer value and stays.
 */
export function restoreChannelSecrets(spec: unknown, secrets: ChannelSecrets): unknown {
  if (!isObj(spec) || Object.keys(secrets).length === 0) return spec;
  const out: Obj = { ...spec };
  for (const [key, fields] of Object.entries(secrets)) {
    out[key] = { ...fields, ...(isObj(out[key]) ? out[key] : {}) };
  }
  return out;
}

/** Every credential value, for masking. */
export function channelSecretValues(secrets: ChannelSecrets): string[] {
  return Object.values(secrets).flatMap((fields) => Object.values(fields));
}
