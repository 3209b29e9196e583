import type { DayOfWeek, ScheduleSpec } from '@temporalio/client';
import type { SpecIssue } from '@stagecoach/spec';
import { cronProblem } from './cron.js';

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

const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const HH_MM = /^([01]?\d|2[0-3]):([0-5]\d)$/;
/** The last year a Temporal schedule's calendar can name. */
const LAST_CALENDAR_YEAR = 2100;

function validTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** What is wrong with timer `t` (a one-shot's time is compared with `now`). */
export function timerIssues(t: TimerConfig, now = new Date()): SpecIssue[] {
  const issues: SpecIssue[] = [];
  if (t.time_zone !== undefined && !validTimeZone(t.time_zone))
    issues.push({ path: 'time_zone', message: `unknown time zone "${t.time_zone}"` });
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
      // A one-shot timer in the past would never fire; Temporal's calendars end with 2100.
      else if (t.unix_stamp! * 1000 <= now.getTime())
        issues.push({
          path: 'unix_stamp',
          message: `must be in the future (it is ${new Date(t.unix_stamp! * 1000).toISOString()})`,
        });
      else if (new Date(t.unix_stamp! * 1000).getUTCFullYear() > LAST_CALENDAR_YEAR)
        issues.push({ path: 'unix_stamp', message: `must be before ${LAST_CALENDAR_YEAR + 1}` });
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
            month: MONTHS[at.getUTCMonth()]!,
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

const MONTHS = [
  'JANUARY',
  'FEBRUARY',
  'MARCH',
  'APRIL',
  'MAY',
  'JUNE',
  'JULY',
  'AUGUST',
  'SEPTEMBER',
  'OCTOBER',
  'NOVEMBER',
  'DECEMBER',
] as const;
