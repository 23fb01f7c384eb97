/**
 * The column annotations of a Parquet file's footer, read straight from its Thrift
 * (compact protocol) bytes. parquet-wasm hands over Arrow types only, and two
 * columns with the same Arrow type can read differently in DuckDB: a JSON-annotated
 * string column reads as JSON, an INT96 timestamp as microseconds. The import fast
 * path uses this to take only columns whose annotations it knows.
 */

/** One schema element of the footer: a leaf column, or a group (num_children > 0). */
export interface ParquetSchemaElement {
  name: string;
  /** Physical type (0 BOOLEAN, 1 INT32, 2 INT64, 3 INT96, 4 FLOAT, 5 DOUBLE, 6 BYTE_ARRAY, 7 FIXED_LEN_BYTE_ARRAY). */
  physicalType?: number;
  /** Legacy converted type (0 UTF8, 6 DATE, 10 TIMESTAMP_MICROS, 11-18 integers, 19 JSON, ...). */
  convertedType?: number;
  /** The field id set in the LogicalType union (1 STRING, 6 DATE, 8 TIMESTAMP, 10 INTEGER, 11 JSON, ...). */
  logicalType?: number;
  numChildren?: number;
}

const MAGIC = 'PAR1';

/** What the import fast path needs of a footer: the schema elements (root first) and the row count. */
export interface ParquetFooter {
  schema: ParquetSchemaElement[];
  numRows: number;
}

/** The schema elements and row count of a Parquet file's footer, or undefined when the bytes are not a footer this reader understands. */
export function readParquetFooter(bytes: Uint8Array): ParquetFooter | undefined {
  if (bytes.length < 12) return undefined;
  const tail = new TextDecoder().decode(bytes.subarray(bytes.length - 4));
  if (tail !== MAGIC) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(bytes.length - 8, true);
  const start = bytes.length - 8 - length;
  if (start < 4) return undefined;
  try {
    return readFileMetaData(new CompactReader(bytes.subarray(start, bytes.length - 8)));
  } catch {
    return undefined;
  }
}

function readFileMetaData(reader: CompactReader): ParquetFooter | undefined {
  let schema: ParquetSchemaElement[] | undefined;
  let numRows: number | undefined;
  reader.readStruct((id, type) => {
    if (id === 3 && type === I64) {
      numRows = reader.readInt();
      return true;
    }
    if (id === 2 && type === LIST) {
      const { size, elementType } = reader.readListHeader();
      schema = [];
      for (let i = 0; i < size; i++) {
        if (elementType !== STRUCT) throw new Error('schema element is not a struct');
        schema.push(readSchemaElement(reader));
      }
      return true;
    }
    return false;
  });
  return schema && numRows !== undefined ? { schema, numRows } : undefined;
}

function readSchemaElement(reader: CompactReader): ParquetSchemaElement {
  const element: ParquetSchemaElement = { name: '' };
  reader.readStruct((id, type) => {
    if (id === 1 && type === I32) element.physicalType = reader.readInt();
    else if (id === 4 && type === BINARY) element.name = new TextDecoder().decode(reader.readBinary());
    else if (id === 5 && type === I32) element.numChildren = reader.readInt();
    else if (id === 6 && type === I32) element.convertedType = reader.readInt();
    else if (id === 10 && type === STRUCT) {
      reader.readStruct((unionId, unionType) => {
        element.logicalType = unionId;
        reader.skip(unionType);
        return true;
      });
    } else return false;
    return true;
  });
  return element;
}

const BOOL_TRUE = 1;
const BOOL_FALSE = 2;
const BYTE = 3;
const I16 = 4;
const I32 = 5;
const I64 = 6;
const DOUBLE = 7;
const BINARY = 8;
const LIST = 9;
const SET = 10;
const MAP = 11;
const STRUCT = 12;

/** Just enough of Thrift's compact protocol to walk a footer and skip what it does not need. */
class CompactReader {
  private at = 0;
  constructor(private readonly bytes: Uint8Array) {}

  private byte(): number {
    if (this.at >= this.bytes.length) throw new Error('footer ends early');
    return this.bytes[this.at++]!;
  }

  private varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.byte();
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 70n) throw new Error('varint too long');
    }
  }

  readInt(): number {
    const raw = this.varint();
    return Number((raw >> 1n) ^ -(raw & 1n));
  }

  readBinary(): Uint8Array {
    const length = Number(this.varint());
    if (this.at + length > this.bytes.length) throw new Error('footer ends early');
    const out = this.bytes.subarray(this.at, this.at + length);
    this.at += length;
    return out;
  }

  readListHeader(): { size: number; elementType: number } {
    const header = this.byte();
    const short = header >> 4;
    return { size: short === 15 ? Number(this.varint()) : short, elementType: header & 0x0f };
  }

  /** Calls `field` for each field; it reads the value and returns true, or returns false to have it skipped. */
  readStruct(field: (id: number, type: number) => boolean): void {
    let last = 0;
    for (;;) {
      const header = this.byte();
      if (header === 0) return;
      const type = header & 0x0f;
      const delta = header >> 4;
      const id = delta === 0 ? this.readInt() : last + delta;
      last = id;
      if (type === BOOL_TRUE || type === BOOL_FALSE) {
        field(id, type);
        continue;
      }
      if (!field(id, type)) this.skip(type);
    }
  }

  skip(type: number): void {
    switch (type) {
      case BOOL_TRUE:
      case BOOL_FALSE:
        return;
      case BYTE:
        this.byte();
        return;
      case I16:
      case I32:
      case I64:
        this.varint();
        return;
      case DOUBLE:
        this.at += 8;
        return;
      case BINARY:
        this.readBinary();
        return;
      case LIST:
      case SET: {
        const { size, elementType } = this.readListHeader();
        for (let i = 0; i < size; i++) this.skipElement(elementType);
        return;
      }
      case MAP: {
        const size = Number(this.varint());
        if (size === 0) return;
        const types = this.byte();
        for (let i = 0; i < size; i++) {
          this.skip(types >> 4);
          this.skip(types & 0x0f);
        }
        return;
      }
      case STRUCT:
        this.readStruct(() => false);
        return;
      default:
        throw new Error(`unknown Thrift type ${type}`);
    }
  }

  /** List elements of type bool take a byte each (unlike bool struct fields, which live in the header). */
  private skipElement(type: number): void {
    if (type === BOOL_TRUE || type === BOOL_FALSE) this.byte();
    else this.skip(type);
  }
}
