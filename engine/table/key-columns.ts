import * as arrow from 'apache-arrow';
import { feedInt64, feedValue } from '../chunking/key-hash.js';
import type { Column } from '../schema/schema.js';
import { valueKind } from '../schema/types.js';
import { compareValues, type Value } from '../value/value.js';
import { arrowColumnValues } from '../store/parquet/chunk-codec.js';

/**
 * One key column of an Arrow batch, read for hashing and ordering. A bulk import
 * hashes and compares millions of keys; reading 64-bit integers and timestamps as
 * 32-bit words avoids a BigInt per row (and most of the garbage collection), while
 * giving exactly the hash and order of the values.
 */
export interface KeyColumnReader {
  isNull(row: number): boolean;
  feed(h: number, row: number): number;
  compare(a: number, b: number): number;
  value(row: number): Value;
}

export function keyColumnReader(batch: arrow.Table, column: Column): KeyColumnReader {
  const vector = batch.getChild(column.name);
  const data = vector?.data.length === 1 ? vector.data[0] : undefined;
  if (data && valueKind(column.type) === 'bigint' && (data.nullCount === 0 || !data.nullBitmap?.length)) {
    const values = data.values as BigInt64Array | BigUint64Array;
    return new Int64Words(values, column.type === 'UInt64');
  }
  return new GenericKey(arrowColumnValues(batch, column), column.type.startsWith('Float'));
}

class Int64Words implements KeyColumnReader {
  private readonly words: Int32Array;

  constructor(
    private readonly values: BigInt64Array | BigUint64Array,
    private readonly unsigned: boolean,
  ) {
    this.words = new Int32Array(values.buffer, values.byteOffset, values.length * 2);
  }

  isNull(): boolean {
    return false;
  }

  feed(h: number, row: number): number {
    return feedInt64(h, this.words[2 * row]! >>> 0, this.words[2 * row + 1]! >>> 0);
  }

  compare(a: number, b: number): number {
    // High words carry the sign (unless unsigned); low words compare unsigned.
    let highA = this.words[2 * a + 1]!;
    let highB = this.words[2 * b + 1]!;
    if (this.unsigned) {
      highA >>>= 0;
      highB >>>= 0;
    }
    if (highA !== highB) return highA < highB ? -1 : 1;
    const lowA = this.words[2 * a]! >>> 0;
    const lowB = this.words[2 * b]! >>> 0;
    return lowA === lowB ? 0 : lowA < lowB ? -1 : 1;
  }

  value(row: number): Value {
    return this.values[row]!;
  }
}

class GenericKey implements KeyColumnReader {
  constructor(
    private readonly values: Value[],
    private readonly float: boolean,
  ) {}

  isNull(row: number): boolean {
    return this.values[row] === null;
  }

  feed(h: number, row: number): number {
    return feedValue(h, this.values[row]!, this.float);
  }

  compare(a: number, b: number): number {
    return compareValues(this.values[a]!, this.values[b]!);
  }

  value(row: number): Value {
    return this.values[row]!;
  }
}
