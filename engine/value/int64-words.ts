/**
 * 64-bit integers read as pairs of 32-bit words (little-endian: low word first),
 * so that bulk code can order them without making a BigInt per row.
 */

/** A 64-bit integer column's values as 32-bit words: value `i` is words `2i` (low) and `2i+1` (high). */
export function int64Words(values: BigInt64Array | BigUint64Array): Int32Array {
  return new Int32Array(values.buffer, values.byteOffset, values.length * 2);
}

/** Order of value `i` of `a` and value `j` of `b` (-1, 0, 1); high words carry the sign unless `unsigned`, low words compare unsigned. */
export function compareInt64Words(a: Int32Array, i: number, b: Int32Array, j: number, unsigned: boolean): number {
  let highA = a[2 * i + 1]!;
  let highB = b[2 * j + 1]!;
  if (unsigned) {
    highA >>>= 0;
    highB >>>= 0;
  }
  if (highA !== highB) return highA < highB ? -1 : 1;
  const lowA = a[2 * i]! >>> 0;
  const lowB = b[2 * j]! >>> 0;
  return lowA === lowB ? 0 : lowA < lowB ? -1 : 1;
}
