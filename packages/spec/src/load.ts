import { LineCounter, isMap, isNode, isPair, isScalar, isSeq, parseDocument, visit } from 'yaml';
import type { Document, Node, Pair } from 'yaml';
import { repeatedJsonKey } from './json-duplicates.js';
import type { WorkflowDefinition } from './types.js';
import { MAX_NESTING_DEPTH } from './unstorable.js';
import { validateDefinition } from './validate.js';
import type { SpecResult } from './validate.js';

type Segment = string | number;

/** `stages[0].jobs[1].spec` → ['stages', 0, 'jobs', 1, 'spec'] */
export function pathSegments(path: string): Segment[] {
  const segments: Segment[] = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    if (m[2] !== undefined) segments.push(Number(m[2]));
    else if (m[1] !== undefined) segments.push(m[1]);
  }
  return segments;
}

/** ['stages', 0, 'jobs', 1, 'spec'] → `stages[0].jobs[1].spec` (pathSegments read back) */
function pathText(segments: Segment[]): string {
  return segments.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

function keyMatches(key: unknown, segment: Segment): boolean {
  const k = isScalar(key) ? key.value : key;
  return k === segment || String(k) === String(segment);
}

/** Source offset of the node a path names: the key of a map entry (where an editor should point), or a list item. */
function offsetOf(doc: Document, segments: Segment[]): number | undefined {
  if (segments.length === 0) return doc.contents?.range?.[0];
  const last = segments[segments.length - 1];
  const parent: unknown = segments.length === 1 ? doc.contents : doc.getIn(segments.slice(0, -1), true);
  if (isMap(parent)) {
    const pair = parent.items.find((p) => keyMatches(p.key, last as Segment));
    const key: unknown = pair?.key;
    if (isNode(key)) return key.range?.[0];
    return undefined;
  }
  if (isSeq(parent) && typeof last === 'number') {
    const item: unknown = parent.items[last];
    // An alias too: a list item may be `*name`.
    if (isNode(item)) return item.range?.[0];
  }
  return undefined;
}

/** 1-based line of the deepest existing node on the path (a missing key points at its parent). */
function lineOf(doc: Document, lines: LineCounter, path: string): number | undefined {
  const segments = pathSegments(path);
  for (let n = segments.length; n >= 0; n--) {
    const offset = offsetOf(doc, segments.slice(0, n));
    if (offset !== undefined) return lines.linePos(offset).line;
  }
  return undefined;
}

function jsonErrorPosition(message: string): number | undefined {
  const m = /at position (\d+)/.exec(message);
  return m?.[1] ? Number(m[1]) : undefined;
}

/**
 * Offset of the first character that makes `text` invalid JSON. V8 does not always say (e.g. "Unexpected token 'a',
 * "…" is not valid JSON"), so find the longest prefix that is still the start of some JSON document; viability is
 * prefix-closed, so a binary search works.
 */
function jsonErrorOffset(text: string): number {
  const viable = (len: number): boolean => {
    try {
      JSON.parse(text.slice(0, len));
      return true;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (/end of JSON input/.test(message)) return true;
      const pos = jsonErrorPosition(message);
      return pos !== undefined && pos >= len;
    }
  };
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (viable(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function jsonErrorLine(text: string, err: unknown): number {
  const message = err instanceof Error ? err.message : String(err);
  const byLine = /\(line (\d+) column \d+\)/.exec(message);
  if (byLine?.[1]) return Number(byLine[1]);
  const offset = /end of JSON input/.test(message)
    ? text.length
    : (jsonErrorPosition(message) ?? jsonErrorOffset(text));
  return text.slice(0, offset).split('\n').length;
}

/** The yaml parser runs out of stack on a document nested a few hundred levels deep, and says only that. */
function yamlErrorMessage(message: string): string {
  if (/Maximum call stack size exceeded/.test(message))
    return `YAML nested too deeply to read (definitions may nest ${MAX_NESTING_DEPTH} levels)`;
  // The parser's own advice names its API; what the author needs is what is wrong with the text.
  if (/contains multiple documents/.test(message))
    return 'YAML syntax error: the text holds more than one document (a "---" line); a definition is one document';
  return `YAML syntax error: ${message}`;
}

/** The first alias that sits inside the node its anchor names, with the path of the node around it. */
function aliasInsideItsAnchor(doc: Document): { path: string; message: string; offset: number } | undefined {
  let found: { path: string; message: string; offset: number } | undefined;
  visit(doc, {
    Alias(_key, alias, ancestors) {
      const target = alias.resolve(doc);
      if (!target || !ancestors.includes(target)) return;
      found = {
        path: pathOf([...(ancestors.slice(1) as (Node | Pair)[]), alias]),
        message: `contains itself (the YAML alias *${alias.source} inside the node &${alias.source} names)`,
        offset: alias.range?.[0] ?? 0,
      };
      return visit.BREAK;
    },
  });
  return found;
}

/** `stages[0]` for the nodes from below the document down to a node; a merge key adds nothing. */
function pathOf(ancestors: (Node | Pair)[]): string {
  let path = '';
  ancestors.forEach((node, i) => {
    const child = ancestors[i + 1];
    if (isSeq(node) && child) path += `[${node.items.indexOf(child as Node)}]`;
    if (isPair(node)) {
      // The parser reads a merge key as a symbol.
      const key: unknown = isScalar(node.key) ? node.key.value : node.key;
      if (typeof key !== 'symbol') path += path === '' ? String(key) : `.${String(key)}`;
    }
  });
  return path;
}

const sameIssue = (a: { message: string; line: number }, b: { message: string; line: number }) =>
  a.message === b.message && a.line === b.line;

/**
 * Parses a workflow definition from YAML or JSON (JSON when the text starts with `{`), then validates it. Issues
 * carry the 1-based source line of their path where it can be found.
 */
export function loadDefinition(text: string, contentType?: 'yaml' | 'json'): SpecResult<WorkflowDefinition> {
  const type = contentType ?? (text.trimStart().startsWith('{') ? 'json' : 'yaml');
  const lines = new LineCounter();
  let data: unknown;
  let doc: Document | undefined;

  if (type === 'json') {
    try {
      data = JSON.parse(text);
    } catch (err) {
      const message = `invalid JSON: ${err instanceof Error ? err.message : String(err)}`;
      return { ok: false, issues: [{ path: '', message, line: jsonErrorLine(text, err) }] };
    }
    // JSON.parse let a repeated key's last value replace the others: which one the author meant is unknown.
    const repeated = repeatedJsonKey(text);
    if (repeated) {
      const line = text.slice(0, repeated.offset).split('\n').length;
      return { ok: false, issues: [{ path: pathText(repeated.path), message: 'is given more than once', line }] };
    }
    // JSON is YAML too; parsing it again only serves to locate issues.
    const located = parseDocument(text, { lineCounter: lines });
    doc = located.errors.length === 0 ? located : undefined;
  } else {
    // Merge keys (`<<: *defaults`) as Zadig's YAML decoder (gopkg.in/yaml.v3) reads them.
    doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, merge: true });
    if (doc.errors.length > 0) {
      const issues = doc.errors.map((e) => ({
        path: '',
        message: yamlErrorMessage(e.message),
        line: lines.linePos(e.pos[0]).line,
      }));
      // The parser reports running out of stack once for every node it gave up on.
      return { ok: false, issues: issues.filter((issue, i) => issues.findIndex((o) => sameIssue(o, issue)) === i) };
    }
    try {
      data = doc.toJS();
    } catch (err) {
      // A merge key (`<<: *s`) inside the node `&s` names makes the parser count aliases until it gives up;
      // a plain alias like it becomes a value that contains itself, refused below with its path.
      const loop = aliasInsideItsAnchor(doc);
      if (loop) {
        return {
          ok: false,
          issues: [{ path: loop.path, message: loop.message, line: lines.linePos(loop.offset).line }],
        };
      }
      // e.g. excessive alias expansion (a "billion laughs" document)
      return {
        ok: false,
        issues: [{ path: '', message: `invalid YAML: ${err instanceof Error ? err.message : String(err)}` }],
      };
    }
  }

  const result = validateDefinition(data);
  if (result.ok || !doc) return result;
  const located = doc;
  return {
    ok: false,
    issues: result.issues.map((issue) => {
      const line = lineOf(located, lines, issue.path);
      return line === undefined ? issue : { ...issue, line };
    }),
  };
}
