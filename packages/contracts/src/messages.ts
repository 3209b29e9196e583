import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { RunResult } from './run.js';

export interface ApproveRequest {
  job: string;
  user: string;
  approve: boolean;
  comment?: string;
}

export interface DecisionRequest {
  job: string;
  user: string;
  decision: 'ignore' | 'reject';
}

export interface ResumeRequest {
  stage: string;
  user: string;
  /** job name -> replacement spec fields (only when the stage allows modify_params) */
  inputs?: Record<string, Record<string, unknown>>;
}

/** Validators reject with an ApplicationFailure whose type is one of these. */
export const GateRejection = {
  NotWaiting: 'NotWaiting',
  NotAllowed: 'NotAllowed',
  AlreadyVoted: 'AlreadyVoted',
  InvalidInput: 'InvalidInput',
} as const;

export const approveUpdate = defineUpdate<void, [ApproveRequest]>('approve');
export const decideUpdate = defineUpdate<void, [DecisionRequest]>('decide');
export const resumeUpdate = defineUpdate<void, [ResumeRequest]>('resume');
export const runStateQuery = defineQuery<RunResult>('runState');

// Concurrency gate (one per workflow): FIFO permits without polling.
export interface GateRequest {
  runWorkflowId: string;
}
export interface GateAcquireRequest extends GateRequest {
  /** the run number: permits go out in run order, whatever order the requests arrive in */
  runNumber: number;
  /** the workflow's concurrency_limit as this run saw it: the newest request sets the gate's limit */
  limit: number;
}
export const gateAcquireSignal = defineSignal<[GateAcquireRequest]>('acquire');
export const gateReleaseSignal = defineSignal<[GateRequest]>('release');
export const gateGrantedSignal = defineSignal('granted');
