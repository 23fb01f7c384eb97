import { mkdir, open, stat } from 'node:fs/promises';
import path from 'node:path';
import { DgitError, InvalidInputError } from '../errors/index.js';
import type { DuckDbSession } from '../sql/duckdb-session.js';
import { quoteIdentifier, quoteString, trimDuckdbMessage } from '../sql/sql-text.js';
import { validateColumnName } from '../schema/schema.js';
import { readStagedArrowSql, stageArrowIpc } from './arrow-ipc.js';
import type { SourceFormat } from './source-format.js';
import type { SourceLocation } from './source-location.js';
import { csvRecordLines, findCsvStructureError, ndjsonRecordLines, readCsvHeader, type CsvDialect } from './text-records.js';

/**
 * How DuckDB reads one source file, and how to speak about places in it. One per
 * format; the rest of import is the same for all of them.
 */
export interface SourceReader {
  /** A DuckDB FROM item reading the file, or null when the file holds no rows and no columns (an empty JSON array). */
  fromSql: string | null;
  /**
   * The number of columns, when it is known without reading the data (a CSV header, a
   * Parquet footer); a wide source is loaded by groups of columns (column-groups.ts).
   */
  columnCount(session: DuckDbSession): Promise<number | undefined>;
  /**
   * A FROM item reading the file with the types (and date formats) that reading `fromSql`
   * detects, found by one pass over the file, so that reading it again does not detect
   * them again. Only for formats whose reading detects types (CSV and TSV); read errors
   * are DuckDB's, for `explainReadError`.
   */
  typedFromSql?(session: DuckDbSession): Promise<string>;
  /** Where data rows are (row numbers 1-based, in file order). */
  locate(rows: readonly number[]): Promise<Map<number, SourceLocation>>;
  /** DuckDB's failure to read the file, as an error naming the file and, when known, the line. */
  explainReadError(error: unknown): Promise<DgitError>;
  /** Checks the column names DuckDB reports against the names as the file writes them. */
  checkNames(session: DuckDbSession, duckdbNames: readonly string[]): Promise<void>;
  /**
   * For text formats: SQL selecting `row` (1-based, file order) and `raw` (the value of
   * `column` exactly as the file writes it), to tell what DuckDB's number types rounded.
   */
  rawTextSql?(column: string): string;
}

export interface SourceReaderOptions {
  /** Columns to read as text, untouched by type detection (they are cast to an existing table's types later). */
  textColumns: readonly string[];
  /** A directory for staged files. */
  workDir: string;
}

/** The reader for `file`, after checking that it exists and is not empty. */
export async function openSourceReader(file: string, format: SourceFormat, options: SourceReaderOptions): Promise<SourceReader> {
  await checkFile(file);
  switch (format) {
    case 'csv':
      return csvReader(file, { delimiter: ',', quote: '"' }, options);
    case 'tsv':
      return csvReader(file, { delimiter: '\t', quote: '"' }, options);
    case 'json':
    case 'ndjson':
      return jsonReader(file, format);
    case 'parquet':
      return parquetReader(file, `read_parquet(${quoteString(file)})`, 'Parquet');
    case 'arrow':
      return arrowReader(file, options.workDir);
  }
}

async function checkFile(file: string): Promise<void> {
  let info;
  try {
    info = await stat(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InvalidInputError(`${file}: no such file`, file, error);
    throw new InvalidInputError(`${file}: cannot read: ${(error as Error).message}`, file, error);
  }
  if (info.isDirectory()) throw new InvalidInputError(`${file}: is a directory, not a file`, file);
  // A pipe or a terminal (`/dev/stdin`) reports 0 bytes, and can be read only once; an import reads its file more than once.
  if (!info.isFile()) throw new InvalidInputError(`${file}: is not a regular file (a pipe or a device): an import reads its file more than once; write it to a file first`, file);
  if (info.size === 0) throw new InvalidInputError(`${file}: the file is empty (0 bytes)`, file);
}

const byRow = async (rows: readonly number[]) => new Map(rows.map((row) => [row, { kind: 'row', row } as SourceLocation]));

/** Refuses names dgit cannot keep, and names DuckDB would confuse (it matches identifiers case-insensitively). */
export function checkColumnNames(file: string, names: readonly string[], where = file): void {
  const seen = new Map<string, string>();
  for (const name of names) {
    try {
      validateColumnName(name);
    } catch (error) {
      throw new InvalidInputError(`${where}: ${(error as Error).message}`, where, error);
    }
    const folded = name.toLowerCase();
    const earlier = seen.get(folded);
    if (earlier === name) throw new InvalidInputError(`${where}: column ${JSON.stringify(name)} appears twice`, where);
    if (earlier !== undefined)
      throw new InvalidInputError(`${where}: columns ${JSON.stringify(earlier)} and ${JSON.stringify(name)} differ only in case`, where);
    seen.set(folded, name);
  }
}

function sameNames(file: string, written: readonly string[], duckdbNames: readonly string[]): void {
  const a = [...written].sort().join('\u0000');
  const b = [...duckdbNames].sort().join('\u0000');
  if (a !== b)
    throw new InvalidInputError(`${file}: DuckDB read the columns as ${JSON.stringify(duckdbNames)}, but the file names ${JSON.stringify(written)}`, file);
}

// ---- CSV and TSV -----------------------------------------------------------------------

async function csvReader(file: string, dialect: CsvDialect, options: SourceReaderOptions): Promise<SourceReader> {
  const header = await readCsvHeader(file, dialect);
  if (!header) throw new InvalidInputError(`${file}: no header row (the file holds only blank lines)`, file);
  checkColumnNames(file, header, `${file}:1`);
  // The dialect is fixed, not sniffed: a sniffed one can take '#' for a comment, skip "junk" lines, or
  // give up on a ragged row without saying where it is.
  const fixedDialect =
    `${quoteString(file)}, header = true, delim = ${quoteString(dialect.delimiter)}, quote = ${quoteString(dialect.quote)}, ` +
    `escape = ${quoteString(dialect.quote)}, comment = '', skip = 0, strict_mode = true, null_padding = false, allow_quoted_nulls = false`;
  const detecting = (textColumns: readonly string[]) => {
    const text = textColumns.filter((name) => header.includes(name));
    const types = text.length > 0 ? `, types = {${text.map((name) => `${quoteString(name)}: 'VARCHAR'`).join(', ')}}` : '';
    // Types are detected over the whole file.
    return `${fixedDialect}, sample_size = -1${types}`;
  };
  const readCsv = (textColumns: readonly string[]) => `read_csv(${detecting(textColumns)})`;
  const fromSql = readCsv(options.textColumns);
  return {
    fromSql,
    async columnCount() {
      return header.length;
    },
    async typedFromSql(session) {
      // DuckDB's sniffer is what read_csv runs to detect; it reports the types and the date and
      // timestamp formats it found, which read_csv then takes as given. Not the line ending it
      // reports: given new_line = '\r\n', DuckDB 1.5 read no rows of a CRLF file with a quoted
      // line break, without an error; left out, it reads CRLF and LF files alike.
      const [found] = await session.rows(
        `SELECT Columns AS columns, DateFormat AS date_format, TimestampFormat AS timestamp_format ` +
          `FROM sniff_csv(${detecting(options.textColumns)})`,
      );
      const columns = (found?.['columns'] ?? []) as Array<{ name: string; type: string }>;
      const detected: Array<[option: string, value: unknown]> = [
        ['dateformat', found?.['date_format']],
        ['timestampformat', found?.['timestamp_format']],
      ];
      const formats = detected
        .filter(([, value]) => typeof value === 'string' && value !== '')
        .map(([option, value]) => `, ${option} = ${quoteString(String(value))}`)
        .join('');
      return `read_csv(${fixedDialect}, auto_detect = false, columns = {${columns.map((c) => `${quoteString(c.name)}: ${quoteString(c.type)}`).join(', ')}}${formats})`;
    },
    rawTextSql(column) {
      // Every column as text, nothing detected: one plain pass (detection would read the whole file once more).
      const asText = `read_csv(${fixedDialect}, auto_detect = false, columns = {${header.map((name) => `${quoteString(name)}: 'VARCHAR'`).join(', ')}})`;
      return `SELECT row_number() OVER () AS row, ${quoteIdentifier(column)} AS raw FROM ${asText}`;
    },
    async locate(rows) {
      const lines = await csvRecordLines(file, dialect, rows);
      return new Map([...lines].map(([row, line]) => [row, { kind: 'line', line } as SourceLocation]));
    },
    async explainReadError(error) {
      const fault = await findCsvStructureError(file, dialect);
      if (fault) return new InvalidInputError(`${file}:${fault.line}: this row ${fault.problem}`, `${file}:${fault.line}`, error);
      const message = duckdbMessage(error);
      const line = /CSV Error on Line: (\d+)/.exec(message)?.[1];
      const detail = trimDuckdbMessage(message.replace(/CSV Error on Line: \d+\s*/, '').replace(/Original Line:[^\n]*\n?/, ''));
      const where = line ? `${file}:${line}` : file;
      return new InvalidInputError(`${where}: cannot read ${dialect.delimiter === '\t' ? 'TSV' : 'CSV'}: ${detail}`, where, error);
    },
    async checkNames(_session, duckdbNames) {
      sameNames(file, header, duckdbNames);
    },
  };
}

// ---- JSON and NDJSON -------------------------------------------------------------------

async function jsonReader(file: string, format: 'json' | 'ndjson'): Promise<SourceReader> {
  const start = await firstBytes(file, 4096);
  const isArray = start.trimStart().startsWith('[');
  if (/^\s*(\[\s*\])?\s*$/.test(start) && (await stat(file)).size <= 4096) return { ...noRows(file), fromSql: null };
  const duckFormat = format === 'ndjson' ? 'newline_delimited' : isArray ? 'array' : 'auto';
  const lineBased = duckFormat === 'newline_delimited';
  const args = `${quoteString(file)}, format = '${duckFormat}'`;
  return {
    fromSql: `read_json(${args}, records = true, sample_size = -1)`,
    // Known only by reading every record; a wide JSON file is loaded in one table.
    columnCount: async () => undefined,
    rawTextSql(column) {
      // The JSON text of the value: a number keeps every digit the file wrote.
      const jsonPath = quoteString(`$.${JSON.stringify(column)}`);
      return `SELECT row_number() OVER () AS row, CAST(json -> ${jsonPath} AS VARCHAR) AS raw FROM read_json_objects(${args})`;
    },
    async locate(rows) {
      if (!lineBased) return byRow(rows);
      const lines = await ndjsonRecordLines(file, rows);
      return new Map([...lines].map(([row, line]) => [row, { kind: 'line', line } as SourceLocation]));
    },
    async explainReadError(error) {
      const message = duckdbMessage(error).replace(/ in file "(?:[^"\\]|\\.)*"/, '');
      const line = lineBased ? /in line (\d+)/.exec(message)?.[1] : undefined;
      const where = line ? `${file}:${line}` : file;
      const malformed = /Malformed JSON, at byte (\d+) in (?:line|record\/value) \d+: ([^\n]*)/.exec(message);
      if (malformed) {
        const reason = malformed[2]!.trim().replace(/\.$/, '');
        const at = line ? ` (at byte ${malformed[1]} of the line)` : '';
        return new InvalidInputError(`${where}: malformed JSON: ${reason}${at}`, where, error);
      }
      if (/expected records/.test(message))
        return new InvalidInputError(`${where}: expected JSON objects (one per row), found other JSON values`, where, error);
      const detail = trimDuckdbMessage(message.replace(/^Invalid Input Error: /, '').replace(/^Binder Error: /, ''));
      return new InvalidInputError(`${where}: cannot read JSON: ${detail}`, where, error);
    },
    async checkNames(session, duckdbNames) {
      // DuckDB renames an empty key to "C0" and a key repeated in another case to "a_1": read the keys as written.
      const rows = await session.rows(
        `SELECT DISTINCT unnest(json_keys(json)) AS k FROM read_json_objects(${args}) ORDER BY k`,
      );
      const keys = rows.map((row) => String(row['k']));
      checkColumnNames(file, keys);
      sameNames(file, keys, duckdbNames);
    },
  };
}

function noRows(file: string): Omit<SourceReader, 'fromSql'> {
  return {
    columnCount: async () => undefined,
    locate: byRow,
    explainReadError: async (error) => new InvalidInputError(`${file}: ${trimDuckdbMessage(duckdbMessage(error))}`, file, error),
    checkNames: async () => {},
  };
}

async function firstBytes(file: string, length: number): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

// ---- Parquet and Arrow -----------------------------------------------------------------

function parquetReader(file: string, fromSql: string, kind: string): SourceReader {
  return {
    fromSql,
    async columnCount(session) {
      try {
        return (await session.describe(`SELECT * FROM ${fromSql}`)).length;
      } catch {
        return undefined; // the load reports what is wrong with the file
      }
    },
    locate: byRow,
    async explainReadError(error) {
      const detail = trimDuckdbMessage(duckdbMessage(error).replace(/^[A-Za-z ]*Error: /, ''));
      return new InvalidInputError(`${file}: cannot read ${kind} (truncated or corrupt?): ${detail}`, file, error);
    },
    async checkNames(_session, duckdbNames) {
      checkColumnNames(file, duckdbNames);
    },
  };
}

async function arrowReader(file: string, workDir: string): Promise<SourceReader> {
  const dir = path.join(workDir, 'arrow');
  await mkdir(dir, { recursive: true });
  const { parts, schema } = await stageArrowIpc(file, dir);
  const names = schema.fields.map((field) => field.name);
  checkColumnNames(file, names);
  const reader = parquetReader(file, readStagedArrowSql(parts, schema), 'Arrow IPC');
  return {
    ...reader,
    async checkNames(_session, duckdbNames) {
      sameNames(file, names, duckdbNames);
    },
  };
}

/** The text of a DuckDB error, which the session keeps as the cause of its own. */
export function duckdbMessage(error: unknown): string {
  let current: unknown = error;
  while (current instanceof DgitError && current.cause !== undefined) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}
