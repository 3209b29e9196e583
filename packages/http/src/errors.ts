import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/common';
import { AppError, redactUrl, ValidationError } from '@stagecoach/platform';

/** What a 5xx says: nothing of the failure, which may name hosts or hold secrets. */
const INTERNAL_ERROR = { error: 'internal', message: 'internal server error' };

/**
 * One place that turns failures into HTTP answers: our AppErrors keep their status and details,
 * Fastify's schema errors become 400 with the failing field, a body Fastify cannot read is named like
 * any other bad input, an unknown route is a 404 like any other, 5xx bodies stay generic.
 */
export function registerErrorHandler(app: FastifyInstance): void {
  // A path or method no route serves, in the same shape as every other refusal.
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ error: 'not_found', message: `no route serves ${request.method} ${pathOf(request.url)}` }),
  );
  app.setErrorHandler((err: FastifyError | Error, request, reply) => {
    if (err instanceof ValidationError) {
      return reply.status(400).send({ error: err.code, message: err.message, issues: err.issues });
    }
    if (err instanceof AppError) {
      return reply.status(err.httpStatus).send({ error: err.code, message: err.message });
    }
    if (err instanceof WorkflowNotFoundError)
      return reply.status(404).send({ error: 'not_found', message: 'run not found' });
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      return reply.status(409).send({ error: 'conflict', message: 'the run is already executing' });
    }
    const fastifyError = err as FastifyError;
    if (fastifyError.validation) {
      const issues = fastifyError.validation.map((v) => ({
        path:
          [fastifyError.validationContext, ...v.instancePath.split('/').filter(Boolean), namedProperty(v.params)]
            .filter(Boolean)
            .join('.') || 'body',
        message: issueMessage(v.keyword, v.params, v.message),
      }));
      const [first] = issues;
      const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
      return reply
        .status(400)
        .send({ error: 'validation_failed', message: `${first!.path} ${first!.message}${more}`, issues });
    }
    const refused = bodyRefusal(fastifyError, request);
    if (refused) return reply.status(fastifyError.statusCode!).send(refused);
    if (fastifyError.statusCode && fastifyError.statusCode < 500) {
      return reply
        .status(fastifyError.statusCode)
        .send({ error: fastifyError.code ?? 'bad_request', message: err.message });
    }
    request.log.error({ err }, 'request failed');
    return reply.status(500).send(INTERNAL_ERROR);
  });
}

/**
 * Fastify's refusals of a body before any route sees it, in the shape of every other bad input: an error
 * of ours, a message saying what is wrong, and the issue at `body` (or at the header that decided it).
 */
function bodyRefusal(
  err: FastifyError,
  request: FastifyRequest,
): { error: string; message: string; issues: { path: string; message: string }[] } | undefined {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return refusal('validation_failed', 'the body is not valid JSON', 'body', 'invalid JSON');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return refusal('validation_failed', 'the body is empty, but its Content-Type says JSON', 'body', 'empty');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return refusal('validation_failed', 'the body is not as long as Content-Length says', 'body', 'truncated');
    case 'FST_ERR_CTP_BODY_TOO_LARGE': {
      const limit = `${Math.round(request.routeOptions.bodyLimit / 1024)} KiB`;
      return refusal('payload_too_large', `the body is too large: the limit is ${limit}`, 'body', `over ${limit}`);
    }
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE': {
      const type = (request.headers['content-type'] ?? '(none)').slice(0, 100);
      return refusal(
        'unsupported_media_type',
        `a body of type ${type} is not accepted here`,
        'headers.content-type',
        'unsupported',
      );
    }
    default:
      return undefined;
  }
}

/** The router's limit on one path parameter (Fastify's default, set explicitly by httpServerOptions). */
const MAX_PARAM_LENGTH = 100;

/**
 * Fastify's refusals before any route is found (a path that is not valid percent-encoding, or a path
 * parameter over the router's length limit) in the house shape: they never reach the error handler.
 * The path is not echoed: an approval link's token is a path parameter.
 */
function frameworkErrors(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    const over = `over ${MAX_PARAM_LENGTH} characters`;
    void reply.status(414).send(refusal('uri_too_long', `a part of the path is ${over}`, 'url', over));
  } else if (err.code === 'FST_ERR_BAD_URL') {
    void reply
      .status(400)
      .send(refusal('validation_failed', 'the path is not valid percent-encoding', 'url', 'malformed'));
  } else {
    request.log.error({ err }, 'routing the request failed');
    void reply.status(500).send(INTERNAL_ERROR);
  }
}

/** Options every HTTP service builds its Fastify instance with, for the refusals above. */
export const httpServerOptions = { frameworkErrors, routerOptions: { maxParamLength: MAX_PARAM_LENGTH } };

/** A request URL's path, with an approval link's token masked. */
const pathOf = (url: string) => redactUrl(url.split('?')[0]!);

const refusal = (error: string, message: string, path: string, issue: string) => ({
  error,
  message,
  issues: [{ path, message: issue }],
});

/** What a schema error says of the field its path ends at, in the words our own validation uses. */
function issueMessage(keyword: string, params: Record<string, unknown>, ajvMessage: string | undefined): string {
  if (keyword === 'required') return 'is required';
  if (keyword === 'additionalProperties') return 'is not a known field';
  if (Array.isArray(params.allowedValues)) return `must be one of ${params.allowedValues.join(', ')}`;
  if ('allowedValue' in params) return `must be ${String(params.allowedValue)}`;
  return ajvMessage ?? 'invalid';
}

/** The property a `required` or `additionalProperties` error is about: the path then ends at it, not at its parent. */
function namedProperty(params: Record<string, unknown>): string | undefined {
  const name = params.missingProperty ?? params.additionalProperty;
  return typeof name === 'string' ? name : undefined;
}
