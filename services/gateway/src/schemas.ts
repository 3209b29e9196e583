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

export const ProjectParams = Type.Object({ project: Key });
export const WorkflowParams = Type.Object({ project: Key, name: Key });
export const RunParams = Type.Object({ project: Key, name: Key, number: Type.Integer({ minimum: 1 }) });
export const JobLogParams = Type.Object({
  project: Key,
  name: Key,
  number: Type.Integer({ minimum: 1 }),
  job: Type.String({ minLength: 1 }),
});

export const errorResponses = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };
