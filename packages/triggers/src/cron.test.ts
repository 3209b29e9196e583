import { describe, expect, it } from 'vitest';
import { cronProblem } from './cron.js';

describe('cronProblem', () => {
  it('takes what the Temporal server takes: lists, ranges, steps, month and weekday names, 7 for Sunday', () => {
    for (const expression of [
      '0 3 * * 1-5',
      '*/5 * * * *',
      '0-59/15 * * * *',
      '30 2 1,15 jan,JUL *',
      '0 9 * * mon-fri',
      '0 0 * * 7',
      '5/10 0 31 december su',
    ]) {
      expect(cronProblem(expression), expression).toBeUndefined();
    }
  });

  it('names the field and what it takes', () => {
    expect(cronProblem('61 * * * *')).toBe('minute "61": values must be 0-59');
    expect(cronProblem('* 24 * * *')).toBe('hour "24": values must be 0-23');
    expect(cronProblem('* * 0 * *')).toBe('day of month "0": values must be 1-31');
    expect(cronProblem('* * * 13 *')).toBe(
      'month "13": values must be 1-12 or names (jan, feb, mar, apr, may, jun, jul, aug, sep, oct, nov, dec)',
    );
    expect(cronProblem('* * * * 8')).toMatch(/^day of week "8": values must be 0-7 or names \(sun, mon/);
    expect(cronProblem('* * * ja *')).toMatch(/^month "ja": values must be 1-12/);
    expect(cronProblem('*/0 * * * *')).toBe('minute "*/0": a step must be at least 1');
    expect(cronProblem('*/4294967296 * * * *')).toBe('minute "*/4294967296": a step must be at most 59');
    expect(cronProblem('5/ * * * *')).toBe('minute "5/": a step must be a whole number');
    expect(cronProblem('1/2/3 * * * *')).toBe('minute "1/2/3": has more than one "/"');
    expect(cronProblem('1-2-3 * * * *')).toBe('minute "1-2-3": has more than one "-"');
    expect(cronProblem('30-10 * * * *')).toBe('minute "30-10": a range must not end before it starts');
    expect(cronProblem('1,,2 * * * *')).toBe('minute "1,,2": values must be 0-59');
    // Quartz's `?` and the shorthands are not Zadig's five fields.
    expect(cronProblem('0 0 ? * *')).toMatch(/^day of month "\?"/);
    expect(cronProblem('@daily')).toBe('must have five fields (minute hour day-of-month month day-of-week), not 1');
    expect(cronProblem('0 0 0 * * *')).toMatch(/not 6$/);
  });

  it('refuses a day of the month no month it names has, while a weekday may widen the days', () => {
    expect(cronProblem('0 0 31 2 *')).toBe('day of month "31" falls in no month of "2": the timer would never fire');
    expect(cronProblem('0 0 31 feb,apr,jun *')).toBe(
      'day of month "31" falls in no month of "feb,apr,jun": the timer would never fire',
    );
    for (const expression of ['0 0 29 2 *', '0 0 31 1-2 *', '0 0 31 */2 *', '0 0 31 2 mon', '0 0 20/10 2 *']) {
      expect(cronProblem(expression), expression).toBeUndefined();
    }
  });
});
