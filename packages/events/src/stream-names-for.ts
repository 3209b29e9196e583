import { DEFAULT_STREAM_NAMES, prefixedStreamNames, type StreamNames } from './jetstream.js';

/** The names a service uses for its configured prefix: the standard ones when the prefix is empty. */
export function streamNamesFor(prefix: string): StreamNames {
  return prefix ? prefixedStreamNames(prefix) : DEFAULT_STREAM_NAMES;
}
