import { Code, ConnectError, type Interceptor } from '@connectrpc/connect';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/common';
import { AppError, ValidationError, type Logger } from '@stagecoach/platform';

/** The gRPC status of each HTTP status our AppErrors carry. */
const CODE_OF_HTTP_STATUS: Record<number, Code> = {
  400: Code.InvalidArgument,
  401: Code.Unauthenticated,
  403: Code.PermissionDenied,
  404: Code.NotFound,
  409: Code.FailedPrecondition,
  413: Code.ResourceExhausted,
  422: Code.InvalidArgument,
  429: Code.ResourceExhausted,
  503: Code.Unavailable,
};

/**
 * What REST's error handler (packages/http) does, in gRPC terms: our errors keep their meaning (a
 * validation error lists every issue with its path in the message), Temporal's map as they do
 * there, anything else is logged and answered INTERNAL without details.
 */
export function toConnectError(err: unknown, logger: Logger): ConnectError {
  if (err instanceof ConnectError) return err;
  if (err instanceof ValidationError) {
    const issues = err.issues.map((i) => `${i.path}${i.line ? ` (line ${i.line})` : ''}: ${i.message}`);
    return new ConnectError(
      issues.length > 0 ? `${err.message}: ${issues.join('; ')}` : err.message,
      Code.InvalidArgument,
    );
  }
  if (err instanceof AppError)
    return new ConnectError(err.message, CODE_OF_HTTP_STATUS[err.httpStatus] ?? Code.Internal);
  if (err instanceof WorkflowNotFoundError) return new ConnectError('run not found', Code.NotFound);
  if (err instanceof WorkflowExecutionAlreadyStartedError)
    return new ConnectError('the run is already executing', Code.AlreadyExists);
  logger.error({ err }, 'gRPC call failed');
  return new ConnectError('internal server error', Code.Internal);
}

async function* mapStreamErrors<T>(messages: AsyncIterable<T>, map: (err: unknown) => ConnectError): AsyncIterable<T> {
  try {
    yield* messages;
  } catch (err) {
    throw map(err);
  }
}

/** The one place errors become gRPC statuses: thrown by a call, or while a server stream is being sent. */
export function errorInterceptor(logger: Logger): Interceptor {
  const map = (err: unknown) => toConnectError(err, logger);
  return (next) => async (req) => {
    try {
      const res = await next(req);
      return res.stream ? { ...res, message: mapStreamErrors(res.message, map) } : res;
    } catch (err) {
      throw map(err);
    }
  };
}
