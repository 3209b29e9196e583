import type { IncomingMessage } from 'node:http';
import { pino, type DestinationStream, type Logger } from 'pino';
import { MASK } from './mask.js';

export type { Logger };

/** Keys whose values never reach a log line. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-hub-signature-256"]',
  'req.headers["x-gitlab-token"]',
  'authorization',
  'password',
  'token',
  'secret',
  '*.password',
  '*.token',
  '*.secret',
];

/** Query parameters that carry credentials (Jira's `?token=`, signed links and the like). */
const SECRET_QUERY_PARAM = /token|secret|sign|password|passwd|key|auth|ticket|credential/i;
/** Path segments that are credentials themselves: an approver's personal link. */
const SECRET_PATH = /^(\/approvals\/)[^/?#]+/;

/**
 * A request URL fit for a log line: credential path segments and the values of credential-like
 * query parameters become `***`; everything else stays, so the line still says what was asked.
 */
export function redactUrl(url: string): string {
  const queryAt = url.indexOf('?');
  const path = (queryAt < 0 ? url : url.slice(0, queryAt)).replace(SECRET_PATH, `$1${MASK}`);
  if (queryAt < 0) return path;
  const query = url
    .slice(queryAt + 1)
    .split('&')
    .map((pair) => {
      const name = pair.split('=', 1)[0]!;
      let decoded = name;
      try {
        decoded = decodeURIComponent(name.replace(/\+/g, ' '));
      } catch {
        // a malformed escape: judge the name as sent
      }
      return SECRET_QUERY_PARAM.test(decoded) && pair.includes('=') ? `${name}=${MASK}` : pair;
    })
    .join('&');
  return `${path}?${query}`;
}

/** Fastify's request serializer, with the URL redacted (it takes this logger's over its own). */
function serializeRequest(req: IncomingMessage & { ip?: string; host?: string }) {
  return {
    method: req.method,
    url: redactUrl(req.url ?? ''),
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  };
}

/** drizzle's DrizzleQueryError message: `Failed query: <sql>\nparams: <values>`. */
const FAILED_QUERY = 'Failed query: ';
/**
 * The values part of that message, up to the next stack frame or cause in a stack. pino writes a cause's
 * message after the error's own, so in a message the cut runs to its end; the cause stays in the stack.
 */
const QUERY_PARAMS = /\nparams: [\s\S]*?(?=\n {4}at |\ncaused by: |$)/g;
const NOT_LOGGED = '\nparams: (not logged)';

/**
 * pino's error serializer, with the values of a failed query left out (here or in a cause): drizzle
 * writes them into the error's message and stack, and they are what was being stored, secrets included
 * (a run's notification tokens, say). The SQL stays: it says what failed.
 */
function serializeError(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const out = pino.stdSerializers.err(err);
  for (let e: unknown = out; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    const fields = e as Record<string, unknown>;
    if (typeof fields.message !== 'string' || !fields.message.includes(FAILED_QUERY)) continue;
    fields.message = fields.message.replace(QUERY_PARAMS, NOT_LOGGED);
    if (typeof fields.stack === 'string') fields.stack = fields.stack.replace(QUERY_PARAMS, NOT_LOGGED);
    delete fields.params;
  }
  return out;
}

/** A service's logger; lines go to standard output unless a destination is given (tests read them). */
export function createLogger(options: { name: string; level?: string }, destination?: DestinationStream): Logger {
  return pino(
    {
      name: options.name,
      level: options.level ?? process.env.LOG_LEVEL ?? 'info',
      redact: { paths: REDACTED_PATHS, censor: MASK },
      // The Temporal SDK's log entries carry their error under `error`: serialized like `err`, not as `{}`.
      serializers: { req: serializeRequest, err: serializeError, error: serializeError },
    },
    destination,
  );
}
