import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ValidationError } from '@stagecoach/platform';

type Done = (err: Error | null, body?: unknown) => void;

/**
 * Fastify's own JSON body parser (prototype pollution refused), refusing as well an object that names a
 * key twice: JSON.parse keeps the last silently, so `{"script": "a", …, "script": "b"}` would save what
 * the author may not have meant, where the same definition in YAML is refused. Install it with
 * `app.addContentTypeParser('application/json', { parseAs: 'string' }, strictJsonParser(app))`.
 */
export function strictJsonParser(app: FastifyInstance): (request: FastifyRequest, body: string, done: Done) => void {
  const parse = app.getDefaultJsonParser('error', 'error');
  return (request, body, done) => {
    void parse(request, body, (err, parsed: unknown) => {
      if (err || typeof parsed !== 'object' || parsed === null) return done(err, parsed);
      const path = duplicateKeyPath(body);
      if (!path) return done(null, parsed);
      const at = ['body', ...path].join('.');
      done(new ValidationError(`${at} is given more than once`, [{ path: at, message: 'is given more than once' }]));
    });
  };
}

/** An object or array open at some point of the text, and where it sits in its parent. */
interface Frame {
  parent: Frame | undefined;
  /** its key in the parent object, or index in the parent array */
  at: string | undefined;
  /** an object's keys so far (undefined for an array) */
  keys: Set<string> | undefined;
  /** an object: whether the next string is a key */
  expectKey: boolean;
  /** an object: the key whose value is being read */
  key: string;
  /** an array: the index of the element being read */
  index: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * The path (keys and array indexes) of the first key that an object in `text`, which must be valid JSON,
 * names twice; undefined when none does. One pass, and nesting costs no recursion.
 */
export function duplicateKeyPath(text: string): string[] | undefined {
  let top: Frame | undefined;
  const open = (keys: Set<string> | undefined): Frame => ({
    parent: top,
    at: top === undefined ? undefined : top.keys ? top.key : String(top.index),
    keys,
    expectKey: keys !== undefined,
    key: '',
    index: 0,
  });
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const start = i;
      let escaped = false;
      for (i++; text.charCodeAt(i) !== QUOTE; i++) {
        if (text.charCodeAt(i) === BACKSLASH) {
          escaped = true;
          i++;
        }
      }
      if (top?.keys && top.expectKey) {
        // Escapes spell a key differently: "a" and "\u0061" are the same key.
        const key = escaped ? (JSON.parse(text.slice(start, i + 1)) as string) : text.slice(start + 1, i);
        if (top.keys.has(key)) return [...pathOf(top), key];
        top.keys.add(key);
        top.key = key;
        top.expectKey = false;
      }
    } else if (c === 0x7b /* { */) {
      top = open(new Set());
    } else if (c === 0x5b /* [ */) {
      top = open(undefined);
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      top = top?.parent;
    } else if (c === 0x2c /* , */ && top) {
      if (top.keys) top.expectKey = true;
      else top.index++;
    }
  }
  return undefined;
}

function pathOf(frame: Frame): string[] {
  const path: string[] = [];
  for (let f: Frame | undefined = frame; f?.at !== undefined; f = f.parent) path.push(f.at);
  return path.reverse();
}
