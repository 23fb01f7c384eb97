import { Writable } from 'node:stream';
import { visibleText } from '../formats/text/safe-text.js';
import { CLEAR_LINE, paint as paintAnsi, type Colour } from '../formats/text/ansi.js';
import type { Progress, ProgressEvent } from '../engine/index.js';

/** Terminal conventions of CLI.md: colour only on a TTY without NO_COLOR; progress only on a TTY stderr, without --quiet. */

export function colourEnabled(stream: NodeJS.WriteStream = process.stdout): boolean {
  return Boolean(stream.isTTY) && !('NO_COLOR' in process.env) && process.env.TERM !== 'dumb';
}

/** `text` in `colour` on stdout when colour is enabled there. */
export function paint(text: string, colour: Colour, enabled = colourEnabled()): string {
  return paintAnsi(text, colour, enabled);
}

/** Print one JSON document on stdout (bigints as strings). */
export function printJson(document: unknown): void {
  process.stdout.write(JSON.stringify(document, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n');
}

export function print(line = ''): void {
  process.stdout.write(line + '\n');
}

/** Set by the global `--quiet`: no progress lines. */
export const terminal = { quiet: false };

/** How long an operation runs before its progress shows (CLI.md: "more than a second"); DGIT_PROGRESS_DELAY_MS overrides it. */
function progressDelay(): number {
  const value = Number(process.env.DGIT_PROGRESS_DELAY_MS);
  return Number.isFinite(value) && value >= 0 ? value : 1000;
}

/** Redraws at most this often: a fast loop must not flood the terminal. */
const REDRAW_MS = 100;

/**
 * The one progress renderer of the CLI: a single line on stderr, redrawn in place,
 * throttled, shown only on a TTY without `--quiet` and once the operation has run
 * a second, and cleared when done. The engine reports through the `Progress`
 * callback this hands out; remotes add server lines (`remote: ...`).
 */
export class ProgressLine {
  private readonly started = Date.now();
  private readonly delay = progressDelay();
  private lastDrawn = 0;
  private shown = false;
  /** Output stopped mid-line: a `\r` would erase that partial line, so nothing is drawn until it ends. */
  private held = false;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  /** Whether anything may be drawn. */
  get enabled(): boolean {
    return Boolean(this.stream.isTTY) && !terminal.quiet;
  }

  /** The engine callback, or undefined when progress is off (so the engine does no work for it). */
  callback(): Progress | undefined {
    return this.enabled ? (event) => this.update(event) : undefined;
  }

  update(event: ProgressEvent): void {
    if (!this.enabled || this.held) return;
    const now = Date.now();
    if (now - this.started < this.delay || now - this.lastDrawn < REDRAW_MS) return;
    this.lastDrawn = now;
    this.stream.write(`${CLEAR_LINE}${visibleText(event.phase)}: ${amount(event)}`);
    this.shown = true;
  }

  /** A server line: one ending in CR is progress, redrawn in place (as git shows it); control characters never reach the terminal. */
  message(line: string): void {
    if (!this.enabled) return;
    const text = visibleText(line.replace(/[\r\n]+$/, '')).trim();
    if (text === '') return;
    const inPlace = line.endsWith('\r') && !line.endsWith('\r\n');
    this.stream.write(`${CLEAR_LINE}remote: ${text}${inPlace ? '' : '\n'}`);
    this.shown = inPlace;
  }

  /** Clears the line; call when the operation ends, also on failure. */
  done(): void {
    if (this.shown) this.stream.write(CLEAR_LINE);
    this.shown = false;
  }

  /**
   * Where to write output while this line may still be drawn: `out` (stdout) itself
   * when the line is off, so nothing changes there; otherwise a stream that erases
   * the line before each write and passes the bytes on unchanged. The next progress
   * event (throttled) draws the line again, so on a terminal shared by stdout and
   * stderr it shows only while output pauses and never shares a line with it (nor
   * cuts into a line output left unfinished). Call `finish` on it when done.
   */
  outputStream(out: NodeJS.WriteStream = process.stdout): Writable {
    return this.enabled ? new OutputBelowProgress(this, out) : out;
  }

  /** Called before output is written: erase the line; draw none while the output ends mid-line on a terminal. */
  beforeOutput(text: string, out: NodeJS.WriteStream): void {
    this.done();
    if (out.isTTY && text.length > 0) this.held = !text.endsWith('\n');
  }
}

/**
 * Stdout behind a progress line: each write erases the line, then goes to stdout
 * at once and unchanged (so order with direct writes to stdout holds). Backpressure
 * is stdout's; its errors stay on stdout, where the CLI handles them (EPIPE).
 */
class OutputBelowProgress extends Writable {
  constructor(
    private readonly line: ProgressLine,
    private readonly out: NodeJS.WriteStream,
  ) {
    super({ decodeStrings: false });
  }

  override _write(chunk: string | Buffer, encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.line.beforeOutput(typeof chunk === 'string' ? chunk : chunk.toString('utf8'), this.out);
    if (this.out.write(chunk, encoding)) callback();
    else this.out.once('drain', () => callback());
  }
}

/** Waits until everything written to `stream` has gone on (a no-op for stdout itself, which is never ended). */
export async function finish(stream: Writable): Promise<void> {
  if (!(stream instanceof OutputBelowProgress)) return;
  await new Promise<void>((resolve) => stream.end(() => resolve()));
}

/** Runs `work` with a progress line, cleared at the end (also on failure). */
export async function withProgress<T>(work: (progress: Progress | undefined) => Promise<T>): Promise<T> {
  const line = new ProgressLine();
  try {
    return await work(line.callback());
  } finally {
    line.done();
  }
}

function amount(event: ProgressEvent): string {
  const unit = event.unit && event.unit !== 'bytes' ? ` ${event.unit}` : '';
  const count = (n: number) => (event.unit === 'bytes' ? byteSize(n) : n.toLocaleString('en-US'));
  if (event.total !== undefined && event.total > 0) return `${Math.floor((event.done / event.total) * 100)}% (${count(event.done)}/${count(event.total)}${unit})`;
  return `${count(event.done)}${unit}`;
}

/** A byte count for people: B, KiB, MiB. */
export function byteSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** Render rows as an aligned text table; cells from data are made terminal-safe (`visibleText`). */
export function formatTable(headers: string[], rows: string[][], options: { maxWidth?: number } = {}): string {
  const maxWidth = options.maxWidth ?? 40;
  const clip = (s: string) => (s.length > maxWidth ? s.slice(0, maxWidth - 1) + '…' : s);
  const cells = [headers, ...rows].map((r) => r.map((c) => clip(visibleText(c))));
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}
