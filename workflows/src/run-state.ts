import type { JobResult, RunInput, StageResult } from '@stagecoach/contracts';
import { isDone, type Job, type Stage, type WorkflowDefinition } from '@stagecoach/spec/sandbox';

/**
 * The stage/job result table a run starts from: fresh for a new run; on retry, jobs that passed
 * (or were skipped or unstable) keep their result and everything else starts over (Zadig's retry).
 */
export function initialStages(input: RunInput): StageResult[] {
  const previous = new Map<string, JobResult>();
  for (const stage of input.resume?.stages ?? []) for (const job of stage.jobs) previous.set(job.name, job);
  return input.definition.stages.map((stage: Stage) => {
    const jobs = stage.jobs.map((job: Job): JobResult => {
      const before = previous.get(job.name);
      if (before && isDone(before.status)) return before;
      return { name: job.name, type: job.type, status: '' };
    });
    const prevStage = input.resume?.stages.find((s) => s.name === stage.name);
    const kept = prevStage && jobs.every((j) => isDone(j.status));
    return kept ? { ...prevStage, jobs } : { name: stage.name, status: '', jobs };
  });
}

/** Environment a job sees: non-secret params by name plus the built-ins scripts commonly read. */
export function jobEnvironment(input: RunInput, jobName: string): Record<string, string> {
  return {
    ...input.params,
    PROJECT: input.project,
    WORKFLOW: input.workflow,
    TASK_ID: String(input.runNumber),
    JOB_NAME: jobName,
    TASK_CREATOR: input.creator,
    CI: 'true',
    ZADIG: 'true',
    STAGECOACH: 'true',
  };
}

/** Every job of the run, started or not, last first: compensation undoes later work before earlier work. */
export function cleanupOrder(definition: WorkflowDefinition): { name: string; type: string }[] {
  return definition.stages.flatMap((stage) => stage.jobs.map((job) => ({ name: job.name, type: job.type }))).reverse();
}
