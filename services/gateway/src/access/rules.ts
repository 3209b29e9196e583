import type { FastifyRequest } from 'fastify';
import type { Verb } from './policy.js';

/** The project (and workflow, where there is one) a request acts on. */
export interface AccessTarget {
  project: string;
  workflow?: string;
}

/**
 * What every API route declares in its `config.access`; a route under /api or /openapi that
 * declares nothing cannot be registered (see plugins/auth.ts), so none goes unchecked.
 * - `public`: no credential at all (sign-in).
 * - `signed-in`: any valid credential; the handler decides the rest (own tokens, own profile).
 * - `system-admin`: installation-wide things (users, clusters, the audit log, new projects).
 * - `project`: `verb` in the target's project. The target comes from the path (`:project`,
 *   `:name`) unless `target` reads it from the query or, with `fromBody`, the parsed body.
 */
export type AccessRule =
  | { kind: 'public' }
  | { kind: 'signed-in' }
  | { kind: 'system-admin' }
  | {
      kind: 'project';
      verb: Verb;
      target?: (request: FastifyRequest) => AccessTarget | undefined;
      /** the target is in the body, so the check waits for it to be parsed */
      fromBody?: boolean;
    };

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: AccessRule;
  }
}

/** Where the API lives: every route under these declares an access rule. */
export const API_PREFIXES = ['/api/', '/openapi/'];

export const PUBLIC: AccessRule = { kind: 'public' };
export const SIGNED_IN: AccessRule = { kind: 'signed-in' };
export const SYSTEM_ADMIN: AccessRule = { kind: 'system-admin' };
export const inProject = (verb: Verb): AccessRule => ({ kind: 'project', verb });

/** `{ config: access(rule) }` reads better in a route's options than the nested literal. */
export const access = (rule: AccessRule) => ({ access: rule });

/** The target of a route with `:project` (and `:name` for a workflow) in its path. */
export function pathTarget(request: FastifyRequest): AccessTarget | undefined {
  const params = (request.params ?? {}) as Record<string, unknown>;
  if (typeof params.project !== 'string') return undefined;
  return { project: params.project, workflow: typeof params.name === 'string' ? params.name : undefined };
}
