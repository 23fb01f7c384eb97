/**
 * ANSI colours for terminal renderers: the one painter of the CLI, the diff and
 * the check renderers. Whether to colour is the caller's decision (a TTY without
 * NO_COLOR, see cli/output.ts); renderers take it as an option.
 */

const SGR = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, grey: 90, bold: 1, dim: 2 } as const;

/** A colour or emphasis a terminal renderer may use. */
export type Colour = keyof typeof SGR;

/** `text` in `colour` when `enabled`, else unchanged. */
export function paint(text: string, colour: Colour, enabled: boolean): string {
  return enabled ? `\u001b[${SGR[colour]}m${text}\u001b[0m` : text;
}

/** Erases the current terminal line and returns to its start (progress lines). */
export const CLEAR_LINE = '\r\u001b[K';
