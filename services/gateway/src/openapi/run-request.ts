import { Type, type Static } from '@fastify/type-provider-typebox';
import { ValidationError } from '@stagecoach/platform';
import type { JobSelection } from '@stagecoach/runs';
import type { SpecIssue, WorkflowDefinition } from '@stagecoach/spec';

/**
 * Zadig's `POST /openapi/workflows/custom/task` body (OpenAPICreateCustomWorkflowTaskArgs): the
 * workflow, its `parameters` (CreateCustomTaskParam) and per-job `inputs` (CreateCustomTaskJobInput).
 * Fields Zadig does not know are let through, as Zadig's JSON decoding does.
 */
export const RunBody = Type.Object({
  project_key: Type.String({ minLength: 1 }),
  workflow_key: Type.String({ minLength: 1 }),
  parameters: Type.Optional(
    Type.Array(
      Type.Object({
        name: Type.String({ minLength: 1 }),
        type: Type.Optional(Type.String()),
        value: Type.Optional(Type.String()),
        choice_value: Type.Optional(Type.Array(Type.String())),
        repo: Type.Optional(Type.Unknown()),
        file_id: Type.Optional(Type.String()),
        file_path: Type.Optional(Type.String()),
      }),
    ),
  ),
  inputs: Type.Optional(
    Type.Array(
      Type.Object({
        job_name: Type.String({ minLength: 1 }),
        job_type: Type.Optional(Type.String()),
        parameters: Type.Optional(Type.Unknown()),
      }),
    ),
  ),
  notify_inputs: Type.Optional(Type.Array(Type.Unknown())),
  remark: Type.Optional(Type.String({ maxLength: 2000 })),
});
export type RunBody = Static<typeof RunBody>;

export interface RunChoice extends JobSelection {
  params: Record<string, string>;
  remark?: string;
}

const isEmptyValue = (v: unknown) => v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0);

/** Nothing to apply: absent, `{}`, or only empty lists/values (Zadig's ApprovalJobInput is `{}`). */
function isEmptyInput(parameters: unknown): boolean {
  if (isEmptyValue(parameters)) return true;
  if (typeof parameters !== 'object' || Array.isArray(parameters)) return false;
  return Object.values(parameters as object).every(isEmptyValue);
}

/** The first field of a job input that would change the job, for the error's path. */
function firstSetField(parameters: unknown): string {
  if (typeof parameters !== 'object' || parameters === null || Array.isArray(parameters)) return '';
  const key = Object.entries(parameters).find(([, v]) => !isEmptyValue(v))?.[0];
  return key ? `.${key}` : '';
}

/**
 * Maps Zadig's run body onto what a Stagecoach run takes: workflow params by name, and which jobs
 * run. Everything that cannot be honoured is refused with the field that asks for it, never dropped.
 *
 * - `parameters[i]`: `value` (or `choice_value` for a multi-select param) sets the param named
 *   `name`; `choice_value` for any other param, or both for a multi-select, is refused. Repo and file values (`repo`, `file_id`/`file_path`) have no Stagecoach counterpart.
 * - `inputs[i]`: Zadig runs the listed jobs and skips the others (updateOpenAPIWorkflowJobs); a
 *   listed job's `parameters` replace parts of its spec for this run, which Stagecoach cannot do
 *   at start, so only empty ones are accepted. With no `inputs` at all every job runs as configured
 *   (Zadig releases before job-level skipping did so, and a run of nothing helps nobody).
 *   `force_run` jobs run whether listed or not; stage-level approvals are no jobs here and always run.
 * - `notify_inputs`: per-run notification overrides are not supported; the workflow's own apply.
 */
export function runChoice(definition: WorkflowDefinition, body: RunBody): RunChoice {
  const issues: SpecIssue[] = [];
  const params: Record<string, string> = {};
  const defined = new Map((definition.params ?? []).map((p) => [p.name, p]));
  const given = new Set<string>();

  (body.parameters ?? []).forEach((p, i) => {
    const path = `parameters[${i}]`;
    const param = defined.get(p.name);
    if (!param) {
      issues.push({ path: `${path}.name`, message: `no parameter "${p.name}" in workflow "${definition.name}"` });
      return;
    }
    if (given.has(p.name)) {
      issues.push({ path: `${path}.name`, message: `parameter "${p.name}" is given more than once` });
      return;
    }
    given.add(p.name);
    if (p.repo !== undefined && p.repo !== null) {
      issues.push({ path: `${path}.repo`, message: 'repository parameters are not supported; pass a string value' });
      return;
    }
    if (p.file_id || p.file_path) {
      issues.push({
        path: `${path}.${p.file_id ? 'file_id' : 'file_path'}`,
        message: 'file parameters are not supported',
      });
      return;
    }
    // A multi-select takes its choices from choice_value, any other param its value; the other field would be dropped.
    const multi = param.type === 'multi-select';
    if (!multi && p.choice_value !== undefined) {
      issues.push({
        path: `${path}.choice_value`,
        message: `parameter "${p.name}" is of type "${param.type ?? 'string'}"; pass its value in "value"`,
      });
      return;
    }
    if (multi && p.choice_value !== undefined && p.value) {
      issues.push({
        path: `${path}.value`,
        message: `parameter "${p.name}" is a multi-select; pass its choices in "choice_value" only`,
      });
      return;
    }
    params[p.name] = multi && p.choice_value ? p.choice_value.join(',') : (p.value ?? '');
  });

  const jobs = new Map(definition.stages.flatMap((s) => s.jobs.map((j) => [j.name, j] as const)));
  const listed = new Set<string>();
  (body.inputs ?? []).forEach((input, i) => {
    const path = `inputs[${i}]`;
    const job = jobs.get(input.job_name);
    if (!job) {
      issues.push({ path: `${path}.job_name`, message: `no job "${input.job_name}" in workflow "${definition.name}"` });
      return;
    }
    if (listed.has(job.name)) {
      issues.push({ path: `${path}.job_name`, message: `job "${job.name}" is listed more than once` });
      return;
    }
    listed.add(job.name);
    if (input.job_type && input.job_type !== job.type) {
      issues.push({ path: `${path}.job_type`, message: `job "${job.name}" is of type "${job.type}"` });
    }
    if (!isEmptyInput(input.parameters)) {
      issues.push({
        path: `${path}.parameters${firstSetField(input.parameters)}`,
        message:
          `job "${job.name}": per-job inputs cannot be applied to a run in Stagecoach; ` +
          'make the value a workflow parameter ({{.workflow.params.<name>}}) and pass it in "parameters"',
      });
    }
  });

  if ((body.notify_inputs ?? []).length > 0) {
    issues.push({
      path: 'notify_inputs',
      message: "per-run notification settings are not supported; the workflow's notify_ctls apply",
    });
  }
  if (issues.length > 0) throw new ValidationError('invalid run request', issues);

  const selection: JobSelection =
    listed.size === 0
      ? {}
      : {
          run_jobs: [...listed],
          skip_jobs: [...jobs.values()]
            .filter((j) => !listed.has(j.name) && j.run_policy !== 'force_run')
            .map((j) => j.name),
        };
  return { params, ...selection, ...(body.remark !== undefined ? { remark: body.remark } : {}) };
}

/**
 * A refusal of the run's params (issues at `params.<name>`, from resolveRunParams) re-pointed at
 * the Zadig field the value came in; other errors pass unchanged.
 */
export function inZadigTerms(err: unknown, body: RunBody): unknown {
  if (!(err instanceof ValidationError)) return err;
  const index = new Map((body.parameters ?? []).map((p, i) => [p.name, i]));
  let changed = false;
  const issues = err.issues.map((issue) => {
    const name = /^params\.(.+)$/.exec(issue.path)?.[1];
    if (name === undefined) return issue;
    changed = true;
    const i = index.get(name);
    return { ...issue, path: i === undefined ? 'parameters' : `parameters[${i}].value` };
  });
  return changed ? new ValidationError(err.message, issues) : err;
}
