import type { ColumnType } from '../../engine/schema/types.js';
import { toJsonValue, type Value } from '../../engine/value/value.js';

/** A cell as text for people: its JSON form, strings bare, null as NULL. */
export function cellText(type: ColumnType, value: Value): string {
  if (value === null) return 'NULL';
  const json = toJsonValue(type, value);
  return typeof json === 'string' ? json : JSON.stringify(json);
}

export { visibleText, truncateText } from '../text/safe-text.js';
