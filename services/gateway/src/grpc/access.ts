import { createContextKey, type HandlerContext, type Interceptor } from '@connectrpc/connect';
import type { DescMethod } from '@bufbuild/protobuf';
import { MethodOptions_IdempotencyLevel } from '@bufbuild/protobuf/wkt';
import type { Db } from '@stagecoach/db';
import { UnauthorizedError } from '@stagecoach/platform';
import { RunService, WorkflowService } from '@stagecoach/proto';
import { authenticate, type Principal } from '../access/authenticate.js';
import { authorize } from '../access/authorize.js';
import type { Visibility } from '../access/policy.js';
import { inProject, type AccessRule, type AccessTarget } from '../access/rules.js';
import { requestMessage } from './request-message.js';

/**
 * Every RPC's rule, with REST's verbs: changing a definition needs `edit`; starting, cancelling and
 * retrying need `run`; reading and watching need `view`; approving needs `view`, and then the run
 * itself accepts only the job's listed approvers.
 */
const RULES = new Map<DescMethod, AccessRule>([
  [WorkflowService.method.putWorkflow, inProject('edit')],
  [WorkflowService.method.getWorkflow, inProject('view')],
  [WorkflowService.method.listWorkflows, inProject('view')],
  [RunService.method.startRun, inProject('run')],
  [RunService.method.getRun, inProject('view')],
  [RunService.method.listRuns, inProject('view')],
  [RunService.method.cancelRun, inProject('run')],
  [RunService.method.retryRun, inProject('run')],
  [RunService.method.approve, inProject('view')],
  [RunService.method.watchRun, inProject('view')],
]);

// An RPC added to the services without a rule stops the gateway from starting, as a REST route does.
for (const method of [...WorkflowService.methods, ...RunService.methods]) {
  if (!RULES.has(method))
    throw new Error(`gRPC method ${method.parent.typeName}.${method.name} declares no access rule`);
}

/** Who is calling and which of the project's workflows they may see, once the call's rule let them in. */
export interface Caller {
  principal: Principal;
  visibility: Visibility;
}

const CALLER = createContextKey<Caller | undefined>(undefined, { description: 'the authorized caller' });

/**
 * How many times the call sent `x-user`. Node joins repeated metadata into one value, so the count is
 * read off the raw HTTP/2 headers when the call arrives (server.ts) and handed to the interceptor here.
 */
export const X_USER_TIMES = createContextKey(0, { description: 'how many times x-user was sent' });

export function callerOf(ctx: HandlerContext): Caller {
  const caller = ctx.values.get(CALLER);
  if (!caller) throw new Error(`${ctx.method.name} ran without an authorized caller`);
  return caller;
}

/** The project and workflow a request names: `project` and `workflow` (RunService) or `name` (WorkflowService). */
function targetOf(message: unknown): AccessTarget | undefined {
  const fields = message as { project?: unknown; workflow?: unknown; name?: unknown };
  if (typeof fields.project !== 'string' || fields.project === '') return undefined;
  const workflow = typeof fields.workflow === 'string' ? fields.workflow : fields.name;
  return { project: fields.project, workflow: typeof workflow === 'string' && workflow !== '' ? workflow : undefined };
}

/**
 * Authentication and authorization of every call, as REST's (plugins/auth.ts) with the same
 * functions: `authorization` metadata (Bearer session, API token, or the admin token with `x-user`,
 * required on calls with side effects), then the method's rule applied to the project and workflow
 * the request names, before the handler looks anything up.
 */
export function accessInterceptor(options: { db: Db; adminToken: string }): Interceptor {
  return (next) => async (req) => {
    const rule = RULES.get(req.method);
    if (!rule) throw new Error(`gRPC method ${req.method.name} declares no access rule`);
    const principal = await authenticate(
      options,
      {
        authorization: req.header.get('authorization') ?? undefined,
        xUser: req.header.get('x-user') ?? undefined,
        xUserTimes: req.contextValues.get(X_USER_TIMES),
      },
      req.method.idempotency !== MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS,
    );
    const read = await requestMessage(req);
    req = read.req;
    const visibility = await authorize(options.db, principal, rule, targetOf(read.message));
    if (!principal) throw new UnauthorizedError('a valid token is required (authorization: Bearer)');
    req.contextValues.set(CALLER, { principal, visibility });
    return next(req);
  };
}
