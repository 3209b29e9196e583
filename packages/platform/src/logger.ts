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

/** A service's logger; lines go to standard output unless a destination is given (tests read them). */
export function createLogger(options: { name: string; level?: string }, destination?: DestinationStream): Logger {
  return pino(
    {
      name: options.name,
      level: options.level ?? process.env.LOG_LEVEL ?? 'info',
      redact: { paths: REDACTED_PATHS, censor: MASK },
      // The Temporal SDK's log entries carry their error under `error`: serialized like pino's `err`, not as `{}`.
      serializers: { req: serializeRequest, error: pino.stdSerializers.err },
    },
    destination,
  );
}
