import type { ColumnType } from '../../engine/schema/types.js';
import { toJsonValue, type Value } from '../../engine/value/value.js';

/** A cell as text for people: its JSON form, strings bare, null as NULL. */
export function cellText(type: ColumnType, value: Value): string {
  if (value === null) return 'NULL';
  const json = toJsonValue(type, value);
  return typeof json === 'string' ? json : JSON.stringify(json);
}

export { visibleText, truncateText } from '../text/safe-text.js';

/**
 * A cell as text for a reviewer: as `cellText`, but a string whose whitespace would
 * be invisible (leading, trailing, empty) or that reads as NULL is shown quoted, so
 * `"Los Angeles "` is told from `Los Angeles` and `"NULL"` from NULL.
 */
export function reviewText(type: ColumnType, value: Value): string {
  if (typeof value === 'string' && (value === '' || value === 'NULL' || /^\s|\s$/u.test(value))) return JSON.stringify(value);
  return cellText(type, value);
}
