import { validateDefinition, type SpecIssue, type WorkflowDefinition } from '@stagecoach/spec';

/**
 * What is wrong with a resume's edited job inputs, checked as a save would check them: the run's frozen
 * definition with the edits applied as the run applies them (each job's spec fields replaced, one level
 * deep), validated, and only the problems the edits bring reported, at `inputs.<job>.<field>`. The run
 * itself takes any object, so an edit the job cannot run with (a script that is a number, a timeout of
 * "abc") would otherwise fail only inside the job, after its attempts ran out. A job the stage does not
 * hold is named at its own path (the run refuses it too, by name).
 */
export function editedInputIssues(
  definition: WorkflowDefinition,
  stage: string,
  inputs: Record<string, Record<string, unknown>>,
): SpecIssue[] {
  const si = definition.stages.findIndex((s) => s.name === stage);
  if (si < 0) return [];
  const held = new Set(definition.stages[si]!.jobs.map((job) => job.name));
  const strangers = Object.keys(inputs).filter((name) => !held.has(name));
  if (strangers.length > 0) {
    return strangers.map((name) => ({ path: `inputs.${name}`, message: `stage "${stage}" has no job "${name}"` }));
  }
  const edited: WorkflowDefinition = structuredClone(definition);
  const specPaths = new Map<string, string>();
  edited.stages[si]!.jobs.forEach((job, ji) => {
    const fields = inputs[job.name];
    if (!fields) return;
    job.spec = { ...(job.spec as object), ...fields };
    specPaths.set(`stages[${si}].jobs[${ji}].spec`, `inputs.${job.name}`);
  });
  if (specPaths.size === 0) return [];

  const before = validateDefinition(definition);
  const known = new Set(before.ok ? [] : before.issues.map(issueKey));
  const after = validateDefinition(edited);
  if (after.ok) return [];
  return after.issues
    .filter((issue) => !known.has(issueKey(issue)))
    .map((issue) => ({ path: inputPath(issue.path, specPaths), message: issue.message }));
}

const issueKey = (issue: SpecIssue) => `${issue.path}\n${issue.message}`;

/** `stages[1].jobs[0].spec.script` -> `inputs.build.script`; a path outside the edited specs is kept. */
function inputPath(path: string, specPaths: Map<string, string>): string {
  for (const [spec, input] of specPaths) {
    if (path === spec) return input;
    if (path.startsWith(`${spec}.`) || path.startsWith(`${spec}[`)) return input + path.slice(spec.length);
  }
  return path;
}
