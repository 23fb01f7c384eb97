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
    const x = a[i] ?? null;
    const y = b[i] ?? null;
    if (x === y) continue;
    const rx = kindRank(x);
    const ry = kindRank(y);
    const c = rx !== ry && x !== null && y !== null ? rx - ry : compareValues(x, y);
    if (c !== 0) return c;
  }
  return 0;
}
