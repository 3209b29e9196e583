// Zadig's variable renderer: plain string substitution of `{{.key}}` in text (for jobs: in the job's JSON).
// Deliberately not a template engine, so behaviour on odd input matches Zadig rather than Go templates.

/**
 * Zadig's `config.VariableRegEx`: `{{\.([\p{L}\d-]+(\.[\p{L}\d_-]+)*.)}}`.
 * Go's `.` matches anything but `\n`, hence `[^\n]` (JS `.` would also refuse `\r`, U+2028 and U+2029).
 * Quirk kept on purpose: the trailing `.` must consume one character, so a key whose last segment is a single
 * character (`{{.a}}`, `{{.ab.c}}`) is NOT a variable for this regex, while `{{.ab_}}` is.
 * No `g` flag: a shared global regex would carry `lastIndex` state between callers.
 */
export const VARIABLE_RE = /\{\{\.([\p{L}\d-]+(\.[\p{L}\d_-]+)*[^\n])\}\}/u;

// Inside JSON text an unescaped `"` is always a string delimiter, so a "variable" ending in one would straddle two
// JSON tokens; blanking it would corrupt the document (Zadig then fails the job on unmarshal).
const JSON_SAFE_VARIABLE_SOURCE = String.raw`\{\{\.([\p{L}\d-]+(\.[\p{L}\d_-]+)*[^\n"])\}\}`;

// Candidate placeholders for literal substitution. Any key present in `values` is substituted, even ones
// VARIABLE_RE would not match (Zadig does `strings.ReplaceAll` per known key).
const PLACEHOLDER_SOURCE = String.raw`\{\{\.([^{}\n]*)\}\}`;

export interface RenderOptions {
  /** Replace every `{{.…}}` still unresolved after substitution by '' (Zadig does this right before a job runs). */
  blankUnresolved?: boolean;
  /** Keys to leave in place when blanking, e.g. credential params that an activity fills in later. */
  preserve?: (key: string) => boolean;
  /** Escape substituted values for use inside a JSON string literal (without the surrounding quotes). */
  jsonSafe?: boolean;
}

export function jsonEscape(value: string): string {
  return JSON.stringify(value).slice(1, -1);
}

/**
 * Substitutes `{{.key}}` by `values[key]` in a single left-to-right pass, so a substituted value is never
 * re-scanned (Zadig iterates a map in random order and may expand placeholders inside values; we never do,
 * which also keeps a user-supplied param from pulling in other variables).
 */
export function renderString(text: string, values: Readonly<Record<string, string>>, opts: RenderOptions = {}): string {
  const escape = opts.jsonSafe ? jsonEscape : (v: string) => v;
  let out = text.replace(new RegExp(PLACEHOLDER_SOURCE, 'g'), (match, key: string) => {
    const value = Object.hasOwn(values, key) ? values[key] : undefined;
    return value === undefined ? match : escape(value);
  });
  if (opts.blankUnresolved) {
    const re = new RegExp(opts.jsonSafe ? JSON_SAFE_VARIABLE_SOURCE : VARIABLE_RE.source, 'gu');
    const preserve = opts.preserve;
    out = out.replace(re, (match, key: string) => (preserve?.(key) ? match : ''));
  }
  return out;
}

/** Renders every string (and object key) of a JSON-serialisable job, exactly like Zadig renders the job's JSON. */
export function renderJob<T>(job: T, values: Readonly<Record<string, string>>, opts: RenderOptions = {}): T {
  const rendered = renderString(JSON.stringify(job), values, { ...opts, jsonSafe: true });
  return JSON.parse(rendered) as T;
}

export interface BuiltinContext {
  project: string;
  projectDisplayName: string;
  workflow: string;
  workflowDisplayName: string;
  runNumber: number;
  /** Display name of whoever (or whatever: `webhook`, `timer`, …) started the run. */
  creator: string;
  /** Account name; Zadig's `workflow.task.creator.id`. Defaults to `creator`. */
  creatorId?: string;
  /** User id; Zadig's `workflow.task.creator.userId`. Defaults to `creator`. */
  creatorUserId?: string;
  timestampMs: number;
  url?: string;
  params: Readonly<Record<string, string>>;
}

/** Zadig's built-in variables (`BuildWorkflowSystemVariableKVs`), keyed without the `{{.`/`}}` wrapper. */
export function builtinValues(ctx: BuiltinContext): Record<string, string> {
  const seconds = Math.floor(ctx.timestampMs / 1000);
  const values: Record<string, string> = {
    project: ctx.project,
    'project.id': ctx.project,
    'project.name': ctx.projectDisplayName || ctx.project,
    'workflow.id': ctx.workflow,
    'workflow.name': ctx.workflowDisplayName || ctx.workflow,
    'workflow.task.id': String(ctx.runNumber),
    'workflow.task.creator': ctx.creator,
    'workflow.task.creator.id': ctx.creatorId ?? ctx.creator,
    'workflow.task.creator.userId': ctx.creatorUserId ?? ctx.creator,
    'workflow.task.timestamp': String(seconds),
    'workflow.task.datetime': formatUtcDateTime(seconds),
    'workflow.task.url': ctx.url ?? '',
    'workflow.task.is_release_plan_trigger': 'false',
  };
  for (const [name, value] of Object.entries(ctx.params)) values[`workflow.params.${name}`] = value;
  return values;
}

/**
 * `YYYY-MM-DD HH:MM:SS` (Go's time.DateTime) in UTC, by arithmetic alone so that it is the same inside and outside
 * a workflow sandbox. Days-to-civil conversion after Howard Hinnant's `civil_from_days`.
 */
export function formatUtcDateTime(unixSeconds: number): string {
  const days = Math.floor(unixSeconds / 86400);
  const secOfDay = unixSeconds - days * 86400;
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const hh = Math.floor(secOfDay / 3600);
  const mm = Math.floor((secOfDay % 3600) / 60);
  const ss = secOfDay % 60;
  return `${pad(year, 4)}-${pad(month)}-${pad(day)} ${pad(hh)}:${pad(mm)}:${pad(ss)}`;
}

export function jobOutputKey(job: string, name: string): string {
  return `job.${job}.output.${name}`;
}

export function jobStatusKey(job: string): string {
  return `job.${job}.status`;
}

export function jobStartTimeKey(job: string): string {
  return `job.${job}.util.startTime`;
}
