import type { ColumnType } from '../../engine/schema/types.js';
import { toJsonValue, type Value } from '../../engine/value/value.js';

/** A cell as text for people: its JSON form, strings bare, null as NULL. */
export function cellText(type: ColumnType, value: Value): string {
  if (value === null) return 'NULL';
  const json = toJsonValue(type, value);
  return typeof json === 'string' ? json : JSON.stringify(json);
}

/**
 * Makes invisible or disruptive characters visible: control characters (an ESC
 * in a cell must not drive the terminal), line breaks, and the bidirectional
 * overrides that make text read differently from what it is ("Trojan Source").
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
