import type { FastifyError, FastifyInstance } from 'fastify';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/common';
import { AppError, ValidationError } from '@stagecoach/platform';

/**
 * One place that turns failures into HTTP answers: our AppErrors keep their status and details,
 * Fastify's schema errors become 400 with the failing field, 5xx bodies stay generic.
 */
export function registerErrorHandler(app: FastifyInstance): void {
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
        path: [fastifyError.validationContext, ...v.instancePath.split('/').filter(Boolean)].join('.') || 'body',
        message: v.message ?? 'invalid',
      }));
      return reply.status(400).send({ error: 'validation_failed', message: err.message, issues });
    }
    if (fastifyError.statusCode && fastifyError.statusCode < 500) {
      return reply
        .status(fastifyError.statusCode)
        .send({ error: fastifyError.code ?? 'bad_request', message: err.message });
    }
    request.log.error({ err }, 'request failed');
    return reply.status(500).send({ error: 'internal', message: 'internal server error' });
  });
}
