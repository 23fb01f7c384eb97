import { compareValues, type Value } from '../value/value.js';

/** Rank of a value's kind, to order values that a failed type conversion left in another kind. */
function kindRank(value: Value): number {
  if (value === null) return 0;
  switch (typeof value) {
    case 'boolean':
      return 1;
    case 'number':
      return 2;
    case 'bigint':
      return 3;
    case 'string':
      return 4;
    default:
      return 5;
  }
}

/**
 * `compareKeys` that never throws: values of different kinds (only possible when a
 * column's type changed and an old value does not convert) are ordered by kind.
 * Keys of different lengths compare as if padded with nulls.
 */
export function compareKeysLoose(a: readonly Value[], b: readonly Value[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compareValuesLoose(a[i] ?? null, b[i] ?? null);
    if (c !== 0) return c;
  }
  return 0;
}

/** One value of a key, compared as `compareKeysLoose` does. */
export function compareValuesLoose(x: Value, y: Value): number {
  if (x === y) return 0;
  if (typeof x === 'bigint' && typeof y === 'bigint') return x < y ? -1 : 1;
  if (typeof x === 'number' && typeof y === 'number' && !Number.isNaN(x) && !Number.isNaN(y)) return x < y ? -1 : x > y ? 1 : 0;
  if (x === null || y === null || kindRank(x) === kindRank(y)) return compareValues(x, y);
  return kindRank(x) - kindRank(y);
}

/** Order of two rows by the columns at `keyIndexes`, without building key arrays. */
export function compareRowKeys(a: readonly Value[], b: readonly Value[], keyIndexes: readonly number[]): number {
  for (let i = 0; i < keyIndexes.length; i++) {
    const index = keyIndexes[i]!;
    const c = compareValuesLoose(a[index] ?? null, b[index] ?? null);
    if (c !== 0) return c;
  }
  return 0;
}

/** Order of a key (values in key order) and a row's key. */
export function compareKeyToRow(key: readonly Value[], row: readonly Value[], keyIndexes: readonly number[]): number {
  for (let i = 0; i < keyIndexes.length; i++) {
    const c = compareValuesLoose(key[i] ?? null, row[keyIndexes[i]!] ?? null);
    if (c !== 0) return c;
  }
  return 0;
}
