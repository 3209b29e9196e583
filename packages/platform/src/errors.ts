import type { SpecIssue } from '@stagecoach/spec';

/** A fault with a stable code and the HTTP status it maps to. */
export class AppError extends Error {
  override name = 'AppError';
  constructor(
    message: string,
    readonly code: string,
    readonly httpStatus: number,
    readonly details?: unknown,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class ValidationError extends AppError {
  override name = 'ValidationError';
  constructor(
    message: string,
    readonly issues: SpecIssue[] = [],
  ) {
    super(message, 'validation_failed', 400, { issues });
  }
}

export class UnauthorizedError extends AppError {
  override name = 'UnauthorizedError';
  constructor(message = 'missing or invalid credentials') {
    super(message, 'unauthorized', 401);
  }
}

export class ForbiddenError extends AppError {
  override name = 'ForbiddenError';
  constructor(message: string) {
    super(message, 'forbidden', 403);
  }
}

export class NotFoundError extends AppError {
  override name = 'NotFoundError';
  constructor(message: string) {
    super(message, 'not_found', 404);
  }
}

export class ConflictError extends AppError {
  override name = 'ConflictError';
  constructor(message: string) {
    super(message, 'conflict', 409);
  }
}
