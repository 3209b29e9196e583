import { Type } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';

/**
 * Zadig's error body, as `pkg/tool/errors.ErrorMessage` renders an HTTPError: `type` is always
 * "error", `code` the HTTP code (ErrInvalidParam 400, ErrUnauthorized 401, ErrForbidden 403,
 * ErrNotFound 404), `message` the standard text of that code and `description` what went wrong.
 * `extra` is Zadig's free map; here it carries the failing fields (`issues`) when there are any.
 */
export const ZadigError = Type.Object({
  type: Type.Literal('error'),
  code: Type.Integer(),
  message: Type.String(),
  description: Type.String(),
  extra: Type.Object({
    issues: Type.Optional(
      Type.Array(Type.Object({ path: Type.String(), message: Type.String(), line: Type.Optional(Type.Number()) })),
    ),
  }),
});

export const zadigErrorResponses = {
  400: ZadigError,
  401: ZadigError,
  403: ZadigError,
  404: ZadigError,
  409: ZadigError,
};

/** What Zadig answers when a handler returns nothing (`pkg/middleware/gin/reponse.go`). */
export const Success = Type.Object({ message: Type.Literal('success') });
export const SUCCESS = { message: 'success' as const };

/** Zadig's texts for the standard codes (`pkg/tool/errors/http_errors.go`); 409 has none there. */
const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Request Not Found',
  409: 'Conflict',
  500: 'Internal Error',
};

interface Issue {
  path: string;
  message: string;
  line?: number;
}

interface GatewayErrorBody {
  error: string;
  message: string;
  issues?: Issue[];
}

function isGatewayErrorBody(payload: unknown): payload is GatewayErrorBody {
  const body = payload as Partial<GatewayErrorBody> | null;
  return (
    typeof body === 'object' && body !== null && typeof body.error === 'string' && typeof body.message === 'string'
  );
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The Zadig field that names the project on this route (`projectKey`, `project_key`): a refusal
     * for want of a project names it, not the gateway's generic `project`.
     */
    zadigProjectField?: string;
  }
}

const describe = (issue: Issue) => `${issue.path}${issue.line ? ` (line ${issue.line})` : ''}: ${issue.message}`;

/**
 * Every answer of the OpenAPI routes that is an error leaves in Zadig's shape, statuses kept. The
 * gateway's own error handler (packages/http) still decides the status and the message; this only
 * re-dresses its body, so both APIs fail for the same reasons with the same codes.
 */
export function registerZadigErrors(app: FastifyInstance): void {
  app.addHook('preSerialization', async (request, reply, payload) => {
    if (reply.statusCode < 400 || !isGatewayErrorBody(payload)) return payload;
    const field = request.routeOptions.config.zadigProjectField;
    // The access check's "no project named" is the one issue about the gateway's own `project`.
    const issues = (payload.issues ?? []).map((i) =>
      i.path === 'project' && i.message === 'required' && field ? { ...i, path: field } : i,
    );
    return {
      type: 'error',
      code: reply.statusCode,
      message: STATUS_TEXT[reply.statusCode] ?? (reply.statusCode >= 500 ? 'Internal Error' : 'Bad Request'),
      description: issues.length > 0 ? `${payload.message}: ${issues.map(describe).join('; ')}` : payload.message,
      extra: issues.length > 0 ? { issues } : {},
    };
  });
}
