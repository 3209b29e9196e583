/** An object or array open at some point of the text, and where it sits in its parent. */
interface Frame {
  parent: Frame | undefined;
  /** its key in the parent object, or index in the parent array */
  at: string | number | undefined;
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

/** A key an object names again: where it is (keys and array indexes), and the offset of its second naming. */
export interface RepeatedKey {
  path: (string | number)[];
  offset: number;
}

/**
 * The first key that an object in `text`, which must be valid JSON, names twice; undefined when none
 * does. JSON.parse keeps the last of them without a word. One pass, and nesting costs no recursion.
 */
export function repeatedJsonKey(text: string): RepeatedKey | undefined {
  let top: Frame | undefined;
  const open = (keys: Set<string> | undefined): Frame => ({
    parent: top,
    at: top === undefined ? undefined : top.keys ? top.key : top.index,
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
        if (top.keys.has(key)) return { path: [...pathOf(top), key], offset: start };
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

function pathOf(frame: Frame): (string | number)[] {
  const path: (string | number)[] = [];
  for (let f: Frame | undefined = frame; f?.at !== undefined; f = f.parent) path.push(f.at);
  return path.reverse();
}
