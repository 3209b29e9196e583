import type { Interceptor } from '@connectrpc/connect';
import Value from 'typebox/value';
import { ValidationError } from '@stagecoach/platform';
import { unstorablePart, type SpecIssue } from '@stagecoach/spec';
import { Key } from '../schemas.js';
import { requestMessage } from './request-message.js';

// Proto3 fields are never missing, only empty: these checks give gRPC requests the limits REST's
// schemas (schemas.ts and the routes' bodies) give HTTP ones.

type Check = SpecIssue | undefined;

/** A project or workflow key, checked with the schema of REST's path keys. */
export const key = (path: string, value: string): Check =>
  value === ''
    ? { path, message: 'required' }
    : Value.Check(Key, value)
      ? undefined
      : { path, message: 'must be 1-64 letters, digits or "-"' };

export const required = (path: string, value: string): Check =>
  value.trim() === '' ? { path, message: 'required' } : undefined;

export const atMost = (path: string, value: string, max: number): Check =>
  value.length > max ? { path, message: `must be at most ${max} characters` } : undefined;

export const positive = (path: string, value: number): Check =>
  value >= 1 ? undefined : { path, message: 'must be at least 1' };

/** Throws one ValidationError (INVALID_ARGUMENT) naming every failed check. */
export function checkRequest(...checks: Check[]): void {
  const issues = checks.filter((c): c is SpecIssue => c !== undefined);
  if (issues.length > 0) throw new ValidationError('invalid request', issues);
}

/**
 * REST's rejectUnstorableInput for gRPC: a request whose fields hold a NUL character or a lone
 * surrogate (neither can be stored; Connect's JSON protocol can carry both) is INVALID_ARGUMENT
 * naming the field, before anything, the access check included, looks a field up.
 */
export const unstorableInputInterceptor: Interceptor = (next) => async (req) => {
  const read = await requestMessage(req);
  const part = unstorablePart(read.message);
  if (part) {
    const path = part.path.map((segment, i) => (i === 0 ? protoFieldName(String(segment)) : segment)).join('.');
    throw new ValidationError('invalid request', [{ path, message: part.message }]);
  }
  return next(read.req);
};

/** `skipJobs` → `skip_jobs`: the name the .proto gives the field, as the other checks' paths use. */
const protoFieldName = (localName: string) => localName.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
