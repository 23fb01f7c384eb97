/**
 * Text from data or from users, made safe to show: in a terminal, a GitHub
 * comment, a check-run summary or an HTML page. Every renderer (diffs, check
 * results, the bot's comments) goes through these, so a hostile cell is
 * neutralised the same way everywhere.
 */

/**
 * Makes invisible or disruptive characters visible: control characters (an ESC
 * or a C1 CSI U+009B in a cell must not drive the terminal), line breaks, and the
 * bidirectional overrides that make text read differently from what it is
 * ("Trojan Source"). The one terminal-safe text function: every text from data,
 * users, agents or servers passes through it before it reaches a terminal.
 */
export function visibleText(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    return '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0');
  });
}

/** At most `max` characters (code points, never splitting a surrogate pair), ending in … when cut. */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  const points = Array.from(text);
  if (points.length <= max) return text;
  return points.slice(0, Math.max(0, max - 1)).join('') + '…';
}

const ZERO_WIDTH_SPACE = '&#8203;';

/**
 * User text made inert in GitHub Markdown, inside a table cell or a line: it can
 * neither break the table (`|`, line breaks), nor format (`*_~` and backticks), link
 * (`[]()`, autolinked URLs and `www.`), run HTML (`<script>`, `<!-- -->`, entities),
 * ping (`@user`, `@org/team`) or cross-reference (`#123`, `GH-123`, commit ids).
 * Backslash escapes stop Markdown syntax; a zero-width space stops GitHub's
 * mention and reference autolinkers, which run on the rendered text (as Renovate
 * does). Control and bidi characters are shown as escapes.
 */
export function escapeMarkdown(text: string): string {
  let out = visibleText(text)
    .replace(/[\\`*_[\]()!|~${}]/g, (c) => '\\' + c)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
  // `#` first: the entities inserted next contain a `#` that must stay as it is.
  out = out
    .replace(/#(?=\w)/g, '#' + ZERO_WIDTH_SPACE)
    .replace(/@/g, '@' + ZERO_WIDTH_SPACE)
    .replace(/\b(GH)-(?=\d)/gi, '$1' + ZERO_WIDTH_SPACE + '-')
    .replace(/\b([a-z][a-z0-9+.-]*):(?=\/\/)/gi, '$1' + ZERO_WIDTH_SPACE + ':')
    .replace(/\b(www)\./gi, '$1' + ZERO_WIDTH_SPACE + '.')
    .replace(/\b(?=[0-9a-f]*[a-f])(?=[0-9a-f]*[0-9])([0-9a-f]{6})([0-9a-f]{1,34})\b/gi, '$1' + ZERO_WIDTH_SPACE + '$2');
  return out;
}

/**
 * Text inside an HTML element of a GitHub comment (`<summary>`), where GitHub does
 * not parse Markdown: entities for markup and for the brackets of would-be links,
 * and no pings or references.
 */
export function escapeHtmlText(text: string): string {
  // `#` first: the entities inserted next contain a `#` that must stay as it is.
  return visibleText(text)
    .replace(/&/g, '&amp;')
    .replace(/#(?=\w)/g, '#' + ZERO_WIDTH_SPACE)
    .replace(/@/g, '@' + ZERO_WIDTH_SPACE)
    .replace(/[<>"'`[\]()]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * A value shown exactly, as a code span in a table cell: nothing in a code span
 * links, pings or renders as HTML; its fence is longer than any run of backticks
 * inside; `|` is escaped, as GitHub tables need even in code.
 */
export function codeSpan(text: string): string {
  const visible = visibleText(text).replace(/\|/g, '\\|');
  if (visible === '') return '` `';
  const longestRun = Math.max(0, ...Array.from(visible.matchAll(/`+/g), (m) => m[0].length));
  const fence = '`'.repeat(longestRun + 1);
  const pad = visible.startsWith('`') || visible.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${visible}${pad}${fence}`;
}
