/**
 * A five-field cron expression (Zadig's `crontab` timers) checked the way the Temporal server's
 * schedule parser reads it (service/worker/scheduler/calendar.go), so a timer Temporal would refuse
 * is a 400 naming the field, not a failed schedule: each field is a comma list of `*`, a value or a
 * range `a-b`, each optionally `/step`; months and weekdays may be names.
 */
interface CronField {
  name: string;
  min: number;
  max: number;
  /** names, in order from `min`, and how many letters of one are enough */
  names?: { values: string[]; prefix: number };
}

/** Month and weekday names, lower case, in calendar order (January, Sunday first). */
export const MONTHS = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];
export const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

const FIELDS: CronField[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: { values: MONTHS, prefix: 3 } },
  // 7 is Sunday too.
  { name: 'day of week', min: 0, max: 7, names: { values: WEEKDAYS, prefix: 2 } },
];

/** What is wrong with `expression`, or undefined when Temporal would take it. */
export function cronProblem(expression: string): string | undefined {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== FIELDS.length)
    return `must have five fields (minute hour day-of-month month day-of-week), not ${parts.length}`;
  for (const [i, field] of FIELDS.entries()) {
    const problem = fieldProblem(parts[i]!, field);
    if (problem) return `${field.name} "${parts[i]}": ${problem}`;
  }
  return neverFires(parts);
}

/** Days in each month at most (February in a leap year). */
const MONTH_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * A day of the month no month it names has (`0 0 31 2 *`): a timer that would be saved and never fire.
 * Only when the day of the week is `*`, since a weekday list widens the days in cron's reading.
 */
function neverFires(parts: string[]): string | undefined {
  if (parts[4] !== '*') return undefined;
  const days = valuesOf(parts[2]!, FIELDS[2]!);
  const months = valuesOf(parts[3]!, FIELDS[3]!);
  if ([...months].some((month) => [...days].some((day) => day <= MONTH_DAYS[month - 1]!))) return undefined;
  return `day of month "${parts[2]}" falls in no month of "${parts[3]}": the timer would never fire`;
}

/** Every value a field that fieldProblem accepted stands for. */
function valuesOf(text: string, field: CronField): Set<number> {
  const values = new Set<number>();
  for (const part of text.split(',')) {
    const [range, step] = part.split('/');
    const ends = range === '*' ? [field.min, field.max] : range!.split('-').map((end) => valueOf(end, field)!);
    const last = ends.length === 2 ? ends[1]! : step !== undefined ? field.max : ends[0]!;
    for (let v = ends[0]!; v <= last; v += Number(step ?? 1)) values.add(v);
  }
  return values;
}

function fieldProblem(text: string, field: CronField): string | undefined {
  for (const part of text.split(',')) {
    const [range, step, ...extra] = part.split('/');
    if (extra.length > 0) return 'has more than one "/"';
    if (step !== undefined && !/^\d+$/.test(step)) return 'a step must be a whole number';
    if (step !== undefined && Number(step) < 1) return 'a step must be at least 1';
    // Temporal keeps a step as a 32-bit number: a huge one would wrap round (to every minute, say).
    if (step !== undefined && Number(step) > field.max) return `a step must be at most ${field.max}`;
    if (range === '*') continue;
    const ends = range!.split('-');
    if (ends.length > 2) return 'has more than one "-"';
    const values = ends.map((end) => valueOf(end, field));
    if (values.some((v) => v === undefined)) return `values must be ${allowed(field)}`;
    if (values.length === 2 && values[1]! < values[0]!) return 'a range must not end before it starts';
  }
  return undefined;
}

function valueOf(text: string, field: CronField): number | undefined {
  const lower = text.toLowerCase();
  const named =
    field.names && lower.length >= field.names.prefix ? field.names.values.findIndex((n) => n.startsWith(lower)) : -1;
  const value = named >= 0 ? named + field.min : /^\d+$/.test(text) ? Number(text) : undefined;
  return value !== undefined && value >= field.min && value <= field.max ? value : undefined;
}

function allowed(field: CronField): string {
  const names = field.names ? ` or names (${field.names.values.map((n) => n.slice(0, 3)).join(', ')})` : '';
  return `${field.min}-${field.max}${names}`;
}
