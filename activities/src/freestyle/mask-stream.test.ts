import { describe, expect, it } from 'vitest';
import { MaskingWriter, TailSink } from './mask-stream.js';

function collect(): { sink: { write(t: string): void }; text: () => string; writes: string[] } {
  const writes: string[] = [];
  return { sink: { write: (t) => writes.push(t) }, text: () => writes.join(''), writes };
}

describe('MaskingWriter', () => {
  it('masks a secret split across chunks', () => {
    const out = collect();
    const w = new MaskingWriter(out.sink, ['hunter2']);
    for (const piece of ['pass: hun', 'te', 'r2 done\nnext hu', 'nter2\n']) w.write(Buffer.from(piece));
    w.end();
    expect(out.text()).toBe('pass: *** done\nnext ***\n');
    expect(out.writes.join('|')).not.toContain('hun');
  });

  it('holds a possible secret back on partial flush but emits the safe part', () => {
    const out = collect();
    const w = new MaskingWriter(out.sink, ['s3cret']);
    w.write('progress 50% s3c');
    w.flushPartial();
    expect(out.text()).toBe('progress 50% ');
    w.write('ret\n');
    expect(out.text()).toBe('progress 50% ***\n');
  });

  it('masks a multi-line secret (a key) that straddles line boundaries', () => {
    const out = collect();
    const key = '-----BEGIN-----\nABCDEF\n-----END-----';
    const w = new MaskingWriter(out.sink, [key]);
    w.write('key:\n-----BEGIN-----\nAB');
    w.write('CDEF\n-----END-----\nafter\n');
    w.end();
    expect(out.text()).toBe('key:\n***\nafter\n');
  });

  it('does not split multi-byte characters', () => {
    const out = collect();
    const w = new MaskingWriter(out.sink, []);
    const bytes = Buffer.from('héllo → wörld\n');
    for (let i = 0; i < bytes.length; i++) w.write(bytes.subarray(i, i + 1));
    w.end();
    expect(out.text()).toBe('héllo → wörld\n');
  });

  it('emits lines as they complete and flushes the tail at end', () => {
    const out = collect();
    const w = new MaskingWriter(out.sink, ['x']);
    w.write('a\nb');
    expect(out.writes).toEqual(['a\n']);
    w.end();
    expect(out.writes).toEqual(['a\n', 'b']);
  });
});

describe('TailSink', () => {
  it('keeps the last lines and survives a throwing sink', () => {
    const tail = new TailSink(
      {
        write: () => {
          throw new Error('boom');
        },
      },
      3,
    );
    for (let i = 1; i <= 10; i++) tail.write(`line ${i}\n`);
    tail.write('partial');
    expect(tail.tail()).toEqual(['line 9', 'line 10', 'partial']);
  });
});
