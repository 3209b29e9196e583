// Field readers shared by the definition validators: each reports a path-named issue and returns undefined on a bad value.
import type { SpecIssue } from './types.js';

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** A second, in the minutes timeouts are given in. */
const MIN_TIMEOUT_MINUTES = 1 / 60;
/** A hundred years of minutes. */
const MAX_TIMEOUT_MINUTES = 100 * 365 * 24 * 60;

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function join(parent: string, key: string): string {
  return parent === '' ? key : `${parent}.${key}`;
}

export function quoteList(values: readonly string[]): string {
  return values.map((v) => JSON.stringify(v)).join(', ');
}

// YAML's `key:` with nothing after it yields null; treat it as absent rather than as a wrongly typed value.
export function absent(v: unknown): v is undefined | null {
  return v === undefined || v === null;
}

/** Per-call issue collector with typed field readers; every reader reports and returns undefined on a bad value. */
export class Checker {
  readonly issues: SpecIssue[] = [];

  add(path: string, message: string): void {
    this.issues.push({ path, message });
  }

  string(obj: Obj, key: string, parent: string, required = false): string | undefined {
    const v = obj[key];
    const path = join(parent, key);
    if (absent(v) || (required && v === '')) {
      if (required) this.add(path, 'is required');
      return undefined;
    }
    if (typeof v !== 'string') {
      this.add(path, 'must be a string');
      return undefined;
    }
    return v;
  }

  boolean(obj: Obj, key: string, parent: string): boolean | undefined {
    const v = obj[key];
    if (absent(v)) return undefined;
    if (typeof v !== 'boolean') {
      this.add(join(parent, key), 'must be a boolean');
      return undefined;
    }
    return v;
  }

  number(obj: Obj, key: string, parent: string): number | undefined {
    const v = obj[key];
    if (absent(v)) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      this.add(join(parent, key), 'must be a number');
      return undefined;
    }
    return v;
  }

  integer(obj: Obj, key: string, parent: string): number | undefined {
    const v = obj[key];
    if (absent(v)) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      this.add(join(parent, key), 'must be an integer');
      return undefined;
    }
    // Counts, limits and numbers of a definition are 32-bit where they are kept: in PostgreSQL integer
    // columns (a larger one failed the save) and in Kubernetes and Zadig's own int32 fields.
    if (v < INT32_MIN || v > INT32_MAX) {
      this.add(join(parent, key), `must be an integer from ${INT32_MIN} to ${INT32_MAX}`);
      return undefined;
    }
    return v;
  }

  oneOf<T extends string>(
    obj: Obj,
    key: string,
    parent: string,
    allowed: readonly T[],
    required = false,
  ): T | undefined {
    const v = obj[key];
    const path = join(parent, key);
    if (absent(v)) {
      if (required) this.add(path, 'is required');
      return undefined;
    }
    if (typeof v !== 'string') {
      this.add(path, 'must be a string');
      return undefined;
    }
    if (!(allowed as readonly string[]).includes(v)) {
      this.add(path, `must be one of ${quoteList(allowed)} (got ${JSON.stringify(v)})`);
      return undefined;
    }
    return v as T;
  }

  array(obj: Obj, key: string, parent: string, required = false): unknown[] | undefined {
    const v = obj[key];
    const path = join(parent, key);
    if (absent(v)) {
      if (required) this.add(path, 'is required');
      return undefined;
    }
    if (!Array.isArray(v)) {
      this.add(path, 'must be an array');
      return undefined;
    }
    return v;
  }

  object(obj: Obj, key: string, parent: string, required = false): Obj | undefined {
    const v = obj[key];
    const path = join(parent, key);
    if (absent(v)) {
      if (required) this.add(path, 'is required');
      return undefined;
    }
    if (!isObj(v)) {
      this.add(path, 'must be an object');
      return undefined;
    }
    return v;
  }

  stringArray(obj: Obj, key: string, parent: string): string[] | undefined {
    const arr = this.array(obj, key, parent);
    if (!arr) return undefined;
    let ok = true;
    arr.forEach((item, i) => {
      if (typeof item !== 'string') {
        this.add(`${join(parent, key)}[${i}]`, 'must be a string');
        ok = false;
      }
    });
    return ok ? (arr as string[]) : undefined;
  }

  /** Timeouts in minutes. 0 is Zadig's zero value meaning "use the default", so it is accepted as unset. */
  timeout(obj: Obj, key: string, parent: string): number | undefined {
    const v = this.number(obj, key, parent);
    if (v === undefined) return undefined;
    if (v < 0) {
      this.add(join(parent, key), 'must be a positive number of minutes');
      return undefined;
    }
    if (v === 0) return undefined;
    // The run hands timeouts to Temporal as "<n> minutes", and a very small or very large n is written
    // with an exponent, which is no duration: the run failed with "Invalid duration string". This
    // range keeps well clear of both.
    if (v < MIN_TIMEOUT_MINUTES || v > MAX_TIMEOUT_MINUTES) {
      this.add(
        join(parent, key),
        `must be between 1 second and 100 years (${MIN_TIMEOUT_MINUTES.toFixed(4)} to ${MAX_TIMEOUT_MINUTES} minutes)`,
      );
      return undefined;
    }
    return v;
  }
}
