import type { DayOfWeek, Month, ScheduleSpec } from '@temporalio/client';
import type { SpecIssue } from '@stagecoach/spec';
import { cronProblem, MONTHS, WEEKDAYS } from './cron.js';

/** Zadig's cron job forms (`job_type`), with a time zone of our own (Zadig uses the server's). */
export interface TimerConfig {
  job_type: 'timing' | 'gap' | 'crontab' | 'unix_stamp';
  /** timing: `day` or a weekday; gap: `minutes` or `hours` */
  frequency?: string;
  /** timing: `HH:MM` */
  time?: string;
  /** gap: every N units */
  number?: number;
  /** crontab: five fields */
  cron?: string;
  /** unix_stamp: seconds since the epoch, one shot */
  unix_stamp?: number;
  /** IANA name; default UTC */
  time_zone?: string;
}

const HH_MM = /^([01]?\d|2[0-3]):([0-5]\d)$/;
/** The last year a Temporal schedule's calendar can name. */
const LAST_CALENDAR_YEAR = 2100;
const CALENDARS_END_SECONDS = Date.UTC(LAST_CALENDAR_YEAR + 1, 0, 1) / 1000;

/** What is wrong with an IANA time zone name, as the Temporal server (Go's tz database) reads it. */
function timeZoneProblem(zone: string): string | undefined {
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat('en', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return `unknown time zone "${zone}"`;
  }
  // Intl ignores case; Go does not.
  if (resolved !== zone && resolved.toLowerCase() === zone.toLowerCase())
    return `time zone names are case-sensitive: "${resolved}", not "${zone}"`;
  return undefined;
}

/** The fields each form reads; `job_type` and `time_zone` are every form's. */
const FORM_FIELDS: Record<TimerConfig['job_type'], (keyof TimerConfig)[]> = {
  timing: ['frequency', 'time'],
  gap: ['frequency', 'number'],
  crontab: ['cron'],
  unix_stamp: ['unix_stamp'],
};
const ALL_FORM_FIELDS = new Set(Object.values(FORM_FIELDS).flat());

/**
 * What is wrong with timer `t`. A one-shot's time must be after `now`, unless it is the time
 * `previous` (the stored timer, when one is replaced) already had.
 */
export function timerIssues(t: TimerConfig, now = new Date(), previous?: TimerConfig): SpecIssue[] {
  const issues: SpecIssue[] = [];
  // A `cron` kept on a `gap` timer would be stored and shown as if it were in effect.
  const own = FORM_FIELDS[t.job_type] ?? [...ALL_FORM_FIELDS];
  for (const field of ALL_FORM_FIELDS) {
    if (t[field] !== undefined && !own.includes(field))
      issues.push({ path: field, message: `does not apply to a ${t.job_type} timer` });
  }
  const zoneProblem = t.time_zone === undefined ? undefined : timeZoneProblem(t.time_zone);
  if (zoneProblem) issues.push({ path: 'time_zone', message: zoneProblem });
  switch (t.job_type) {
    case 'timing':
      if (!t.time || !HH_MM.test(t.time)) issues.push({ path: 'time', message: 'must be HH:MM' });
      if (t.frequency !== 'day' && !WEEKDAYS.includes(t.frequency ?? ''))
        issues.push({ path: 'frequency', message: 'must be day or a weekday (monday … sunday)' });
      break;
    case 'gap':
      if (!Number.isInteger(t.number) || t.number! < 1)
        issues.push({ path: 'number', message: 'must be a positive integer' });
      else if (t.frequency === 'minutes' && t.number! > 59)
        issues.push({ path: 'number', message: 'at most 59 minutes' });
      else if (t.frequency === 'hours' && t.number! > 23) issues.push({ path: 'number', message: 'at most 23 hours' });
      if (t.frequency !== 'minutes' && t.frequency !== 'hours')
        issues.push({ path: 'frequency', message: 'must be minutes or hours' });
      break;
    case 'crontab': {
      const problem = typeof t.cron === 'string' ? cronProblem(t.cron) : 'is required';
      if (problem) issues.push({ path: 'cron', message: problem });
      break;
    }
    case 'unix_stamp':
      if (!Number.isInteger(t.unix_stamp) || t.unix_stamp! <= 0)
        issues.push({ path: 'unix_stamp', message: 'must be seconds since the epoch' });
      // Temporal's calendars end with 2100.
      else if (t.unix_stamp! >= CALENDARS_END_SECONDS)
        issues.push({ path: 'unix_stamp', message: `must be before ${LAST_CALENDAR_YEAR + 1}` });
      // A one-shot timer in the past would never fire; one kept from before (fired, say) may stay.
      else if (t.unix_stamp! * 1000 <= now.getTime() && t.unix_stamp !== previous?.unix_stamp)
        issues.push({
          path: 'unix_stamp',
          message: `must be in the future (it is ${new Date(t.unix_stamp! * 1000).toISOString()})`,
        });
      break;
    default:
      issues.push({ path: 'job_type', message: 'must be timing, gap, crontab or unix_stamp' });
  }
  return issues;
}

/**
 * When a timer fires, as a Temporal schedule spec. `gap` becomes the cron Zadig builds (`*\/N`
 * minutes or hours, aligned to the clock), `unix_stamp` one calendar instant in UTC (the schedule
 * is also limited to one action).
 */
export function scheduleSpecOf(t: TimerConfig): ScheduleSpec {
  const timezone = t.time_zone ?? 'UTC';
  switch (t.job_type) {
    case 'timing': {
      const [, hh, mm] = HH_MM.exec(t.time!)!;
      const dayOfWeek = t.frequency === 'day' ? '*' : (t.frequency!.toUpperCase() as DayOfWeek);
      return { calendars: [{ hour: Number(hh), minute: Number(mm), dayOfWeek }], timezone };
    }
    case 'gap':
      return {
        cronExpressions: [t.frequency === 'minutes' ? `*/${t.number} * * * *` : `0 */${t.number} * * *`],
        timezone,
      };
    case 'crontab':
      return { cronExpressions: [t.cron!.trim()], timezone };
    case 'unix_stamp': {
      const at = new Date(t.unix_stamp! * 1000);
      return {
        calendars: [
          {
            year: at.getUTCFullYear(),
            month: MONTHS[at.getUTCMonth()]!.toUpperCase() as Month,
            dayOfMonth: at.getUTCDate(),
            hour: at.getUTCHours(),
            minute: at.getUTCMinutes(),
            second: at.getUTCSeconds(),
          },
        ],
        timezone: 'UTC',
      };
    }
  }
}
