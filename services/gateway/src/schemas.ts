import { Type } from '@fastify/type-provider-typebox';

export const ErrorBody = Type.Object({
  error: Type.String(),
  message: Type.String(),
  issues: Type.Optional(
    Type.Array(Type.Object({ path: Type.String(), message: Type.String(), line: Type.Optional(Type.Number()) })),
  ),
});

/** Keys: `[a-zA-Z0-9-]+`, as Zadig requires for project and workflow keys used in URLs. */
export const Key = Type.String({ pattern: '^[a-zA-Z0-9-]+$', minLength: 1, maxLength: 64 });

/** The longest user name anywhere: accounts, members, group members, the admin token's X-User. */
export const MAX_USERNAME_LENGTH = 64;
/** A name a user is known by (accounts themselves are stricter: see identity.routes.ts). */
export const Username = Type.String({ minLength: 1, maxLength: MAX_USERNAME_LENGTH });

/** PostgreSQL's `integer`, which run numbers and workflow versions are stored as. */
const MAX_INT4 = 2_147_483_647;
/** A run number or a workflow version; a larger one could not have been stored. */
export const SerialNumber = Type.Integer({ minimum: 1, maximum: MAX_INT4 });
/**
 * How many entries a page skips, and a page's number: bounded so that PostgreSQL's OFFSET, a bigint,
 * holds the offset of any page of up to 1000 entries.
 */
export const MAX_OFFSET = MAX_INT4;
export const Offset = Type.Integer({ minimum: 0, maximum: MAX_OFFSET, default: 0 });
export const PageNumber = Type.Integer({ minimum: 1, maximum: MAX_OFFSET, default: 1 });

export const ProjectParams = Type.Object({ project: Key });
export const WorkflowParams = Type.Object({ project: Key, name: Key });
export const RunParams = Type.Object({ project: Key, name: Key, number: SerialNumber });
export const JobLogParams = Type.Object({
  project: Key,
  name: Key,
  number: SerialNumber,
  job: Type.String({ minLength: 1 }),
});

export const errorResponses = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);
const Time = Nullable(Type.String({ format: 'date-time' }));

export const RunSummary = Type.Object({
  run_number: Type.Integer(),
  status: Type.String(),
  creator: Type.String(),
  remark: Nullable(Type.String()),
  retry_num: Type.Integer(),
  created_at: Time,
  start_time: Time,
  end_time: Time,
  error: Nullable(Type.String()),
});

const Approval = Type.Object({
  approvers: Type.Array(Type.String()),
  needed_approvers: Type.Integer(),
  votes: Type.Array(
    Type.Object({
      user: Type.String(),
      approve: Type.Boolean(),
      comment: Nullable(Type.String()),
      time: Type.String({ format: 'date-time' }),
    }),
  ),
});

const JobDetail = Type.Object({
  name: Type.String(),
  type: Type.String(),
  status: Type.String(),
  start_time: Time,
  end_time: Time,
  error: Nullable(Type.String()),
  outputs: Type.Record(Type.String(), Type.String()),
  retry_count: Type.Integer(),
  approval: Nullable(Approval),
});

export const RunDetail = Type.Intersect([
  RunSummary,
  Type.Object({
    project: Type.String(),
    workflow: Type.String(),
    params: Type.Record(Type.String(), Type.String()),
    stages: Type.Array(
      Type.Object({
        name: Type.String(),
        status: Type.String(),
        start_time: Time,
        end_time: Time,
        jobs: Type.Array(JobDetail),
      }),
    ),
  }),
]);
