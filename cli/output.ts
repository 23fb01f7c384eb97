import { visibleText } from '../formats/text/safe-text.js';
import { paint as paintAnsi, type Colour } from '../formats/text/ansi.js';

/** Terminal conventions of CLI.md: colour only on a TTY without NO_COLOR; progress only on a TTY stderr. */

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

/** A progress line on stderr, redrawn in place, shown only on a TTY and after the first second. */
export class Progress {
  private readonly started = Date.now();
  private shown = false;
  constructor(private readonly label: string, private readonly stream: NodeJS.WriteStream = process.stderr) {}

  update(done: number, total: number): void {
    if (!this.stream.isTTY || Date.now() - this.started < 1000) return;
    const percent = total > 0 ? Math.floor((done / total) * 100) : 0;
    this.stream.write(`\r${this.label}: ${percent}% (${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')} rows)`);
    this.shown = true;
  }

  done(): void {
    if (this.shown) this.stream.write('\r\u001b[K');
  }
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
