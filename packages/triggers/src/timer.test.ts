import { describe, expect, it } from 'vitest';
import { scheduleSpecOf, timerIssues } from './timer.js';

describe('timer forms', () => {
  it('timing: HH:MM every day or on a weekday, in the trigger time zone', () => {
    expect(scheduleSpecOf({ job_type: 'timing', frequency: 'day', time: '09:30', time_zone: 'Asia/Shanghai' })).toEqual(
      {
        calendars: [{ hour: 9, minute: 30, dayOfWeek: '*' }],
        timezone: 'Asia/Shanghai',
      },
    );
    expect(scheduleSpecOf({ job_type: 'timing', frequency: 'friday', time: '18:05' })).toEqual({
      calendars: [{ hour: 18, minute: 5, dayOfWeek: 'FRIDAY' }],
      timezone: 'UTC',
    });
  });

  it('gap: every N minutes or hours as Zadig builds the cron', () => {
    expect(scheduleSpecOf({ job_type: 'gap', frequency: 'minutes', number: 15 }).cronExpressions).toEqual([
      '*/15 * * * *',
    ]);
    expect(scheduleSpecOf({ job_type: 'gap', frequency: 'hours', number: 2 }).cronExpressions).toEqual(['0 */2 * * *']);
  });

  it('crontab: five fields; unix_stamp: one UTC instant', () => {
    expect(scheduleSpecOf({ job_type: 'crontab', cron: ' 0 3 * * 1-5 ' }).cronExpressions).toEqual(['0 3 * * 1-5']);
    expect(scheduleSpecOf({ job_type: 'unix_stamp', unix_stamp: 1_900_000_000 })).toEqual({
      calendars: [{ year: 2030, month: 'MARCH', dayOfMonth: 17, hour: 17, minute: 46, second: 40 }],
      timezone: 'UTC',
    });
  });

  it("refuses another form's fields rather than storing them as if they applied", () => {
    expect(timerIssues({ job_type: 'gap', frequency: 'hours', number: 2, cron: '0 3 * * *' })).toEqual([
      { path: 'cron', message: 'does not apply to a gap timer' },
    ]);
    expect(timerIssues({ job_type: 'crontab', cron: '0 3 * * *', time: '09:00', unix_stamp: 1 })).toEqual([
      { path: 'time', message: 'does not apply to a crontab timer' },
      { path: 'unix_stamp', message: 'does not apply to a crontab timer' },
    ]);
    expect(timerIssues({ job_type: 'timing', frequency: 'day', time: '09:00', time_zone: 'UTC' })).toEqual([]);
  });

  it('names every incomplete or invalid field', () => {
    expect(timerIssues({ job_type: 'timing', frequency: 'someday', time: '25:00' }).map((i) => i.path)).toEqual([
      'time',
      'frequency',
    ]);
    expect(timerIssues({ job_type: 'gap', frequency: 'minutes', number: 90 })).toEqual([
      { path: 'number', message: 'at most 59 minutes' },
    ]);
    expect(timerIssues({ job_type: 'crontab', cron: '* * *' })[0]?.path).toBe('cron');
    expect(timerIssues({ job_type: 'unix_stamp' })[0]?.path).toBe('unix_stamp');
    expect(timerIssues({ job_type: 'crontab', cron: '* * * * *', time_zone: 'Mars/Olympus' })).toEqual([
      { path: 'time_zone', message: 'unknown time zone "Mars/Olympus"' },
    ]);
    expect(timerIssues({ job_type: 'crontab', cron: '*/5 * * * *', time_zone: 'Europe/Berlin' })).toEqual([]);
    // Names are as Go's tz database spells them; old aliases stay valid there.
    expect(timerIssues({ job_type: 'crontab', cron: '*/5 * * * *', time_zone: 'europe/berlin' })).toEqual([
      { path: 'time_zone', message: 'time zone names are case-sensitive: "Europe/Berlin", not "europe/berlin"' },
    ]);
    expect(timerIssues({ job_type: 'crontab', cron: '*/5 * * * *', time_zone: 'US/Pacific' })).toEqual([]);
    expect(timerIssues({ job_type: 'crontab', cron: '0 61 * * *' })).toEqual([
      { path: 'cron', message: 'hour "61": values must be 0-23' },
    ]);
    expect(timerIssues({ job_type: 'crontab' })).toEqual([{ path: 'cron', message: 'is required' }]);
  });

  it('takes a one-shot time only in the future, and before the end of Temporal calendars', () => {
    const now = new Date('2026-11-29T12:00:00Z');
    const at = (iso: string) => ({ job_type: 'unix_stamp' as const, unix_stamp: Date.parse(iso) / 1000 });
    expect(timerIssues(at('2026-11-29T12:00:01Z'), now)).toEqual([]);
    expect(timerIssues(at('2026-11-29T11:59:59Z'), now)).toEqual([
      { path: 'unix_stamp', message: 'must be in the future (it is 2026-11-29T11:59:59.000Z)' },
    ]);
    expect(timerIssues(at('2100-12-31T23:59:59Z'), now)).toEqual([]);
    expect(timerIssues(at('2101-01-01T00:00:00Z'), now)).toEqual([
      { path: 'unix_stamp', message: 'must be before 2101' },
    ]);
    // Past any date: refused, not turned into an invalid calendar.
    expect(timerIssues({ job_type: 'unix_stamp', unix_stamp: 1e13 }, now)).toEqual([
      { path: 'unix_stamp', message: 'must be before 2101' },
    ]);
    // Replacing a one-shot timer that has fired keeps its time.
    const fired = at('2026-11-01T00:00:00Z');
    expect(timerIssues(fired, now, fired)).toEqual([]);
    expect(timerIssues(fired, now, at('2026-12-01T00:00:00Z'))[0]?.path).toBe('unix_stamp');
  });
});
