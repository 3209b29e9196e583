import type { RunEvent } from '@stagecoach/contracts';
import type { NotifyCtl, NotifyType, Status } from '@stagecoach/spec';

export type NotifyLevel = 'workflow' | 'job';

/** Run statuses a run ends in; `changed` compares these. */
const FINAL: readonly Status[] = ['passed', 'failed', 'timeout', 'cancelled', 'reject'];

/**
 * A vote on an approval that still waits for more: the job's waiting state published again with the
 * votes so far. The approval started with the job's first `wait_for_approval`, which had none.
 */
export const isApprovalVote = (event: RunEvent): boolean =>
  event.kind === 'job' && event.status === 'wait_for_approval' && (event.approval?.votes.length ?? 0) > 0;

/**
 * The notify_type a ctl of `level` would have to list for `event` to concern it, or undefined when
 * the event is nothing a ctl of that level subscribes to. Workflow ctls hear run events and the
 * start of an approval; job ctls hear their job's events.
 */
export function notifyTypeOf(event: RunEvent, level: NotifyLevel): NotifyType | undefined {
  if (isApprovalVote(event)) return undefined;
  if (level === 'workflow') {
    if (event.kind === 'run') {
      // The workflow never emits `created` itself: the first run event of the first execution is the start.
      if (event.status === 'queued' || event.status === 'running') return event.retryNum === 0 ? 'created' : undefined;
      if (event.status === 'pause' || FINAL.includes(event.status)) return event.status as NotifyType;
      return undefined;
    }
    if (event.kind === 'job' && event.status === 'wait_for_approval') return 'wait_for_approval';
    return undefined;
  }
  if (event.kind !== 'job') return undefined;
  switch (event.status) {
    case 'running':
      return 'prepare';
    case 'wait_for_manual_error_handling':
      return 'wait_for_approval';
    case 'passed':
    case 'failed':
    case 'timeout':
    case 'cancelled':
    case 'reject':
    case 'wait_for_approval':
      return event.status;
    default:
      return undefined;
  }
}

/**
 * Zadig's rules: a ctl fires when enabled and its notify_type lists the event's status; `reject` is
 * also delivered to `failed` subscribers; `changed` fires when a finished run's status differs from
 * the previous run's (never for the first run).
 */
export function shouldNotify(
  ctl: NotifyCtl,
  event: RunEvent,
  previousRunStatus: Status | undefined,
  level: NotifyLevel = event.kind === 'job' ? 'job' : 'workflow',
): boolean {
  if (ctl.enabled === false) return false;
  const type = notifyTypeOf(event, level);
  if (type === undefined) return false;
  const wanted: readonly string[] = ctl.notify_type ?? [];
  if (wanted.includes(type)) return true;
  if (type === 'reject' && wanted.includes('failed')) return true;
  return (
    level === 'workflow' &&
    event.kind === 'run' &&
    wanted.includes('changed') &&
    FINAL.includes(event.status) &&
    previousRunStatus !== undefined &&
    previousRunStatus !== event.status
  );
}
