import { ValidationError } from '@stagecoach/platform';
import type { Job, SpecIssue, Stage, WorkflowDefinition } from '@stagecoach/spec';

/**
 * Zadig's stage-level `approval` block (older definitions) becomes an approval job at the head of
 * the stage, so the engine knows one kind of approval.
 */
export function expandStageApprovals(definition: WorkflowDefinition): WorkflowDefinition {
  const taken = new Set(definition.stages.flatMap((s) => s.jobs.map((j) => j.name)));
  const stages = definition.stages.map((stage, index): Stage => {
    const approval = stage.approval;
    if (!approval?.enabled || !approval.native_approval) return stage;
    let name = `stage${index + 1}-approval`;
    for (let n = 2; taken.has(name); n++) name = `stage${index + 1}-approval-${n}`;
    taken.add(name);
    const job: Job = {
      name,
      type: 'approval',
      spec: {
        timeout: approval.timeout ?? approval.native_approval.timeout,
        description: approval.description,
        native_approval: approval.native_approval,
      },
    };
    const { approval: _legacy, ...rest } = stage;
    return { ...rest, jobs: [job, ...stage.jobs] };
  });
  return { ...definition, stages };
}

export interface JobSelection {
  /** jobs the caller turned off */
  skip_jobs?: string[];
  /** `default_not_run` jobs the caller turned on */
  run_jobs?: string[];
}

/** What is wrong with the caller's selection: jobs that do not exist, named twice, or that may not be skipped. */
export function jobSelectionIssues(definition: WorkflowDefinition, selection: JobSelection): SpecIssue[] {
  const names = new Set(definition.stages.flatMap((s) => s.jobs.map((j) => j.name)));
  const issues: SpecIssue[] = [];
  for (const [key, list] of [
    ['skip_jobs', selection.skip_jobs],
    ['run_jobs', selection.run_jobs],
  ] as const) {
    (list ?? []).forEach((name, i) => {
      if (!names.has(name)) issues.push({ path: `${key}[${i}]`, message: `no job named "${name}"` });
    });
  }
  const skip = new Set(selection.skip_jobs ?? []);
  (selection.run_jobs ?? []).forEach((name, i) => {
    if (skip.has(name)) issues.push({ path: `run_jobs[${i}]`, message: `job "${name}" is also in skip_jobs` });
  });
  for (const job of definition.stages.flatMap((s) => s.jobs)) {
    if (job.run_policy === 'force_run' && skip.has(job.name)) {
      issues.push({
        path: `skip_jobs[${selection.skip_jobs!.indexOf(job.name)}]`,
        message: `job "${job.name}" has run_policy force_run and cannot be skipped`,
      });
    }
  }
  return issues;
}

/** Applies run_policy and the caller's selection: sets `skipped` on each job, Zadig's runtime flag. */
export function selectJobs(definition: WorkflowDefinition, selection: JobSelection): WorkflowDefinition {
  const issues = jobSelectionIssues(definition, selection);
  if (issues.length > 0) throw new ValidationError('invalid job selection', issues);
  const skip = new Set(selection.skip_jobs ?? []);
  const run = new Set(selection.run_jobs ?? []);
  const stages = definition.stages.map((stage) => ({
    ...stage,
    jobs: stage.jobs.map((job): Job => {
      const policy = job.run_policy ?? '';
      const skipped = policy === 'skip' || skip.has(job.name) || (policy === 'default_not_run' && !run.has(job.name));
      return { ...job, skipped };
    }),
  }));
  return { ...definition, stages };
}
