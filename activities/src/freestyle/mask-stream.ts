import { StringDecoder } from 'node:string_decoder';
import { maskSecrets } from '@stagecoach/platform';
import type { LogSink } from './types.js';

/** A line longer than this is emitted without waiting for its newline, so memory stays bounded. */
const MAX_PENDING = 16 * 1024;

/**
 * Turns one raw byte stream (a child's stdout or stderr) into masked text for a LogSink.
 *
 * Text goes out a line at a time, but never split inside something that could be a secret: a secret printed
 * in two chunks (or one that contains a newline) is held back until it is complete, then masked whole. UTF-8
 * characters cut between chunks are reassembled by the decoder.
 */
export class MaskingWriter {
  private readonly decoder = new StringDecoder('utf8');
  private readonly secrets: string[];
  private pending = '';

  constructor(
    private readonly sink: LogSink,
    secrets: readonly string[],
  ) {
    this.secrets = [...new Set(secrets.filter((s) => s.length > 0))];
  }

  write(chunk: Buffer | string): void {
    this.pending += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    const lineEnd = this.pending.lastIndexOf('\n') + 1;
    this.emit(lineEnd === 0 && this.pending.length > MAX_PENDING ? this.pending.length : lineEnd);
  }

  /** Emits an unfinished line (a progress message without newline), still holding back a possible secret. */
  flushPartial(): void {
    this.emit(this.pending.length);
  }

  /** Stream ended: everything left goes out (a dangling prefix of a secret is not the secret). */
  end(): void {
    this.pending += this.decoder.end();
    const rest = this.pending;
    this.pending = '';
    if (rest.length > 0) this.sink.write(maskSecrets(rest, this.secrets));
  }

  private emit(cut: number): void {
    const safe = this.safeCut(cut);
    if (safe <= 0) return;
    const text = this.pending.slice(0, safe);
    this.pending = this.pending.slice(safe);
    this.sink.write(maskSecrets(text, this.secrets));
  }

  /** Moves `cut` left until no secret occurrence, complete or still arriving, straddles it. */
  private safeCut(cut: number): number {
    let moved = true;
    while (moved && cut > 0) {
      moved = false;
      for (const secret of this.secrets) {
        for (let i = Math.max(0, cut - secret.length + 1); i < cut; i++) {
          const visible = Math.min(secret.length, this.pending.length - i);
          if (this.pending.startsWith(secret.slice(0, visible), i)) {
            cut = i;
            moved = true;
            break;
          }
        }
      }
    }
    return cut;
  }
}

/** Forwards to the real sink and remembers the last lines, for failure messages. Never throws into a stream. */
export class TailSink implements LogSink {
  private lines: string[] = [];
  private partial = '';

  constructor(
    private readonly inner: LogSink,
    private readonly max = 20,
  ) {}

  write(text: string): void {
    try {
      this.inner.write(text);
    } catch {
      // A failing log transport must not crash the job (it would surface as an uncaught stream exception).
    }
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop() ?? '';
    this.lines.push(...parts);
    if (this.lines.length > this.max * 2) this.lines = this.lines.slice(-this.max);
  }

  tail(): string[] {
    const all = this.partial.length > 0 ? [...this.lines, this.partial] : this.lines;
    return all.slice(-this.max);
  }
}
