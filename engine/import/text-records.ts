import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';

/**
 * Where records start in CSV, TSV and NDJSON files. DuckDB parses the files; this
 * only finds line numbers for error messages (a duplicate key on line 12 341), so it
 * runs on the error path, streaming, and follows DuckDB's rules: quoted fields may
 * span lines, a doubled quote is a literal quote, blank lines are skipped.
 */

/** How a delimited text file is split. Both characters must be ASCII. */
export interface CsvDialect {
  delimiter: string;
  quote: string;
}

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/** One record of a delimited file: the physical line it starts on and its field count. */
interface CsvRecord {
  line: number;
  fields: number;
}

/** A record-by-record scan of delimited bytes, fed chunk by chunk. */
class CsvScanner {
  private line = 1;
  private recordLine = 1;
  private fields = 0;
  private empty = true;
  private state: 'start' | 'unquoted' | 'quoted' | 'quote-in-quoted' = 'start';
  private quoteLine = 1;
  private first = true;
  private readonly delimiter: number;
  private readonly quote: number;

  constructor(dialect: CsvDialect) {
    this.delimiter = dialect.delimiter.charCodeAt(0);
    this.quote = dialect.quote.charCodeAt(0);
  }

  /** Feeds bytes; calls `onRecord` for each complete non-blank record. Returning false from it stops the scan. */
  feed(bytes: Uint8Array, onRecord: (record: CsvRecord) => boolean): boolean {
    let start = 0;
    if (this.first) {
      this.first = false;
      if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3;
    }
    for (let i = start; i < bytes.length; i++) {
      const byte = bytes[i]!;
      if (this.state === 'quoted') {
        if (byte === this.quote) this.state = 'quote-in-quoted';
        else if (byte === NEWLINE) this.line++;
        continue;
      }
      if (this.state === 'quote-in-quoted') {
        if (byte === this.quote) {
          this.state = 'quoted';
          continue;
        }
        this.state = 'unquoted';
      }
      if (byte === NEWLINE) {
        if (!this.empty && !onRecord({ line: this.recordLine, fields: this.fields + 1 })) return false;
        this.line++;
        this.recordLine = this.line;
        this.fields = 0;
        this.empty = true;
        this.state = 'start';
      } else if (byte === this.delimiter) {
        this.fields++;
        this.empty = false;
        this.state = 'start';
      } else if (byte === this.quote && this.state === 'start') {
        this.state = 'quoted';
        this.quoteLine = this.line;
        this.empty = false;
      } else if (byte !== CARRIAGE_RETURN) {
        this.empty = false;
        this.state = 'unquoted';
      }
    }
    return true;
  }

  /** Ends the scan: the last record if the file does not end with a newline, or the line of a quote never closed. */
  finish(onRecord: (record: CsvRecord) => boolean): { unterminatedQuoteLine?: number } {
    if (this.state === 'quoted') return { unterminatedQuoteLine: this.quoteLine };
    if (!this.empty) onRecord({ line: this.recordLine, fields: this.fields + 1 });
    return {};
  }
}

async function scanCsv(file: string, dialect: CsvDialect, onRecord: (record: CsvRecord) => boolean): Promise<{ unterminatedQuoteLine?: number }> {
  const scanner = new CsvScanner(dialect);
  const stream = createReadStream(file, { highWaterMark: 1 << 20 });
  try {
    for await (const chunk of stream) if (!scanner.feed(chunk as Buffer, onRecord)) return {};
  } finally {
    stream.destroy();
  }
  return scanner.finish(onRecord);
}

/** The first structural fault of a delimited file: a record whose field count differs from the header's, or a quote never closed. */
export async function findCsvStructureError(file: string, dialect: CsvDialect): Promise<{ line: number; problem: string } | null> {
  let expected = -1;
  let fault: { line: number; problem: string } | null = null;
  const end = await scanCsv(file, dialect, (record) => {
    if (expected < 0) {
      expected = record.fields;
      return true;
    }
    if (record.fields === expected) return true;
    fault = { line: record.line, problem: `has ${fieldCount(record.fields)}, but the header has ${expected}` };
    return false;
  });
  if (fault) return fault;
  if (end.unterminatedQuoteLine !== undefined) return { line: end.unterminatedQuoteLine, problem: 'opens a quote that is never closed' };
  return null;
}

const fieldCount = (n: number) => (n === 1 ? '1 field' : `${n} fields`);

/** The physical lines that data records start on, by record number (1-based, the header not counted). */
export async function csvRecordLines(file: string, dialect: CsvDialect, records: readonly number[]): Promise<Map<number, number>> {
  const wanted = new Set(records);
  const lines = new Map<number, number>();
  let index = -1; // the header is record 0
  await scanCsv(file, dialect, (record) => {
    index++;
    if (wanted.has(index)) lines.set(index, record.line);
    return lines.size < wanted.size;
  });
  return lines;
}

/** The physical lines of NDJSON records, by record number (1-based); blank lines hold no record. */
export async function ndjsonRecordLines(file: string, records: readonly number[]): Promise<Map<number, number>> {
  const wanted = new Set(records);
  const lines = new Map<number, number>();
  let line = 1;
  let index = 0;
  let blank = true;
  const stream = createReadStream(file, { highWaterMark: 1 << 20 });
  try {
    for await (const chunk of stream) {
      for (const byte of chunk as Buffer) {
        if (byte === NEWLINE) {
          if (!blank && wanted.has(++index)) lines.set(index, line);
          if (lines.size === wanted.size) return lines;
          line++;
          blank = true;
        } else if (byte !== 0x20 && byte !== 0x09 && byte !== CARRIAGE_RETURN) blank = false;
      }
    }
  } finally {
    stream.destroy();
  }
  if (!blank && wanted.has(++index)) lines.set(index, line);
  return lines;
}

/**
 * The header of a delimited file: the fields of its first non-blank record, as
 * written (DuckDB renames empty and repeated names, which must be refused instead).
 * Null when the file holds no record at all.
 */
export async function readCsvHeader(file: string, dialect: CsvDialect): Promise<string[] | null> {
  const handle = await open(file, 'r');
  try {
    const parts: Buffer[] = [];
    let size = 1 << 16;
    let position = 0;
    for (;;) {
      const buffer = Buffer.alloc(size);
      const { bytesRead } = await handle.read(buffer, 0, size, position);
      position += bytesRead;
      parts.push(buffer.subarray(0, bytesRead));
      const text = Buffer.concat(parts).toString('utf8').replace(/^\uFEFF/, '');
      const parsed = parseFirstRecord(text, dialect);
      if (parsed.complete || bytesRead < size) return parsed.fields;
      size = Math.min(size * 2, 1 << 24);
    }
  } finally {
    await handle.close();
  }
}

function parseFirstRecord(text: string, dialect: CsvDialect): { fields: string[] | null; complete: boolean } {
  const { delimiter, quote } = dialect;
  let i = 0;
  // Skip blank lines before the header, as DuckDB does.
  while (i < text.length && (text[i] === '\n' || text[i] === '\r')) i++;
  if (i >= text.length) return { fields: null, complete: false };
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === quote) {
        if (text[i + 1] === quote) {
          field += quote;
          i++;
        } else quoted = false;
      } else field += ch;
    } else if (ch === quote && field.length === 0) quoted = true;
    else if (ch === delimiter) {
      fields.push(field);
      field = '';
    } else if (ch === '\n') {
      fields.push(field.endsWith('\r') ? field.slice(0, -1) : field);
      return { fields, complete: true };
    } else field += ch;
  }
  fields.push(field.endsWith('\r') ? field.slice(0, -1) : field);
  return { fields, complete: false };
}
