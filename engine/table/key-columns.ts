import * as arrow from 'apache-arrow';
import { feedInt64, feedValue } from '../chunking/key-hash.js';
import type { Column } from '../schema/schema.js';
import { valueKind } from '../schema/types.js';
import { compareValues, type Value } from '../value/value.js';
import { compareInt64Words, int64Words } from '../value/int64-words.js';
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
    this.words = int64Words(values);
  }

  isNull(): boolean {
    return false;
  }

  feed(h: number, row: number): number {
    return feedInt64(h, this.words[2 * row]! >>> 0, this.words[2 * row + 1]! >>> 0);
  }

  compare(a: number, b: number): number {
    return compareInt64Words(this.words, a, this.words, b, this.unsigned);
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
