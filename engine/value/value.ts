import { InvalidInputError } from '../errors/index.js';
import { isTimestamp, timestampIsUtc, timestampUnit, valueKind, type ColumnType } from '../schema/types.js';

/**
 * A cell in memory. Which variant a column holds is fixed by its type (see `valueKind`):
 * Int64, UInt64 and timestamps are bigint (no precision lost), Date32 is days since
 * the epoch as a number, Binary is bytes.
 */
export type Value = null | boolean | number | bigint | string | Uint8Array;

/** A row: one value per schema column, in schema order. */
export type Row = Value[];

const encoder = new TextEncoder();

/**
 * Order of two non-null values of one column type. It matches DuckDB's ORDER BY, which
 * sorts imports: numbers by value (NaN last), strings by Unicode code point (the same
 * as UTF-8 byte order), bytes by byte, false before true.
 */
export function compareValues(a: Value, b: Value): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : 1;
    if (Number.isNaN(b)) return -1;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return compareStrings(a, b);
  if (typeof a === 'boolean' && typeof b === 'boolean') return a === b ? 0 : a ? 1 : -1;
  if (a instanceof Uint8Array && b instanceof Uint8Array) return compareBytes(a, b);
  throw new InvalidInputError(`cannot compare ${typeof a} with ${typeof b}`);
}

/** Code-point order; JS `<` on strings compares UTF-16 units, which differs past U+FFFF. */
export function compareStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      // A surrogate (U+D800-U+DFFF) stands for a code point above U+FFFF, so it sorts after U+E000-U+FFFF.
      const xs = x >= 0xd800 && x <= 0xdfff;
      const ys = y >= 0xd800 && y <= 0xdfff;
      if (xs !== ys) return xs ? 1 : -1;
      return x < y ? -1 : 1;
    }
  }
  return a.length - b.length;
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** Order of two keys (values of the key columns, in key order), nulls first. */
export function compareKeys(a: readonly Value[], b: readonly Value[]): number {
  for (let i = 0; i < a.length; i++) {
    const c = compareValues(a[i]!, b[i]!);
    if (c !== 0) return c;
  }
  return 0;
}

export function valuesEqual(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (a === null || b === null) return false;
  if (typeof a === 'number' && typeof b === 'number') return Number.isNaN(a) && Number.isNaN(b);
  if (a instanceof Uint8Array && b instanceof Uint8Array) return compareBytes(a, b) === 0;
  return false;
}

export function rowsEqual(a: readonly Value[], b: readonly Value[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!valuesEqual(a[i]!, b[i]!)) return false;
  return true;
}

// ---- JSON form -------------------------------------------------------------------------

const UNIT_DIGITS = { s: 0, ms: 3, us: 6, ns: 9 } as const;
const UNITS_PER_SECOND = { s: 1n, ms: 1000n, us: 1_000_000n, ns: 1_000_000_000n } as const;

/**
 * A value as JSON, the form CLI.md fixes: numbers that do not fit a double exactly
 * become strings, dates and timestamps are ISO strings, bytes are base64.
 */
export function toJsonValue(type: ColumnType, value: Value): unknown {
  if (value === null) return null;
  if (typeof value === 'bigint') {
    if (isTimestamp(type)) return formatTimestamp(type, value);
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
  }
  if (type === 'Date32' && typeof value === 'number') return formatDate(value);
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  return value;
}

/** The value of a JSON form made by `toJsonValue` (or written by a user), checked against the type. */
export function fromJsonValue(type: ColumnType, json: unknown, where: string): Value {
  if (json === null || json === undefined) return null;
  const fail = (): never => {
    throw new InvalidInputError(`value ${JSON.stringify(json)} does not fit type ${type}`, where);
  };
  switch (valueKind(type)) {
    case 'boolean':
      if (typeof json === 'boolean') return json;
      return fail();
    case 'string':
      if (typeof json === 'string') return json;
      return fail();
    case 'bytes':
      if (typeof json === 'string') return new Uint8Array(Buffer.from(json, 'base64'));
      return fail();
    case 'bigint': {
      if (isTimestamp(type) && typeof json === 'string' && !/^-?\d+$/.test(json)) return parseTimestamp(type, json, where);
      try {
        if (typeof json === 'number' && Number.isInteger(json)) return checkIntRange(type, BigInt(json), where);
        if (typeof json === 'string' && /^-?\d+$/.test(json)) return checkIntRange(type, BigInt(json), where);
      } catch (error) {
        if (error instanceof InvalidInputError) throw error;
      }
      return fail();
    }
    case 'number': {
      if (type === 'Date32') {
        if (typeof json === 'string') return parseDate(json, where);
        if (typeof json === 'number' && Number.isInteger(json)) return json;
        return fail();
      }
      let n: number;
      if (typeof json === 'number') n = json;
      else if (typeof json === 'string' && (json === 'NaN' || json === 'Infinity' || json === '-Infinity')) n = Number(json);
      else return fail();
      if (type.startsWith('Int') || type.startsWith('UInt')) {
        if (!Number.isInteger(n)) return fail();
        checkIntRange(type, BigInt(n), where);
      }
      return n;
    }
  }
}

const INT_RANGES: Partial<Record<ColumnType, [bigint, bigint]>> = {
  Int8: [-128n, 127n],
  Int16: [-32768n, 32767n],
  Int32: [-2147483648n, 2147483647n],
  Int64: [-(2n ** 63n), 2n ** 63n - 1n],
  UInt8: [0n, 255n],
  UInt16: [0n, 65535n],
  UInt32: [0n, 4294967295n],
  UInt64: [0n, 2n ** 64n - 1n],
};

function checkIntRange(type: ColumnType, value: bigint, where: string): bigint {
  const range = INT_RANGES[type];
  if (range && (value < range[0] || value > range[1]))
    throw new InvalidInputError(`value ${value} is out of range for type ${type}`, where);
  return value;
}

/**
 * `YYYY-MM-DD` of a day count since 1970-01-01, proleptic Gregorian with astronomical
 * years: year 0 is 1 BC, `-0044-03-15` is 15 March 44 BC, and a year past 9999 has
 * more digits (`10000-01-01`). Not `Date.toISOString`, whose six-digit years
 * (`-000044-03-15`, `+010000-01-01`) a cut to ten characters would truncate.
 */
export function formatDate(days: number): string {
  // DuckDB's infinite dates (and Parquet files it wrote) hold the int32 extremes.
  if (days === DATE_INFINITY || days === -DATE_INFINITY) return days > 0 ? 'infinity' : '-infinity';
  const { year, month, day } = civilFromDays(days);
  const yearText = year < 0 ? `-${String(-year).padStart(4, '0')}` : String(year).padStart(4, '0');
  return `${yearText}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's civil_from_days). */
function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthFromMarch = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthFromMarch + 2) / 5) + 1;
  const month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
  return { year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

function parseDate(text: string, where: string): number {
  if (text === 'infinity' || text === '-infinity') return text === 'infinity' ? DATE_INFINITY : -DATE_INFINITY;
  const match = /^(-?\d{4,})-(\d{2})-(\d{2})$/.exec(text);
  const days = match ? civilDays(Number(match[1]), Number(match[2]), Number(match[3])) : undefined;
  if (days === undefined) throw new InvalidInputError(`value ${JSON.stringify(text)} is not a date (YYYY-MM-DD)`, where);
  return days;
}

/**
 * Days since 1970-01-01 of a proleptic Gregorian date, or undefined when there is no
 * such day. Not `Date.UTC`, which reads years 0 to 99 as 1900 to 1999 and rolls
 * 2021-02-29 over into March.
 */
function civilDays(year: number, month: number, day: number): number | undefined {
  if (!Number.isSafeInteger(year) || month < 1 || month > 12 || day < 1) return undefined;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const monthDays = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
  if (day > monthDays) return undefined;
  // Howard Hinnant's days_from_civil: years start in March, so the leap day ends a year.
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** DuckDB's infinite dates and timestamps: the int32 and int64 extremes (negated for -infinity). */
const DATE_INFINITY = 2_147_483_647;
const TIMESTAMP_INFINITY = 9_223_372_036_854_775_807n;

export function formatTimestamp(type: ColumnType, value: bigint): string {
  if (value === TIMESTAMP_INFINITY || value === -TIMESTAMP_INFINITY) return value > 0n ? 'infinity' : '-infinity';
  const unit = timestampUnit(type);
  const perSecond = UNITS_PER_SECOND[unit];
  let seconds = value / perSecond;
  let fraction = value % perSecond;
  if (fraction < 0n) {
    fraction += perSecond;
    seconds -= 1n;
  }
  const days = seconds >= 0n ? seconds / 86_400n : -((-seconds + 86_399n) / 86_400n);
  const ofDay = Number(seconds - days * 86_400n);
  const clock = [Math.floor(ofDay / 3600), Math.floor((ofDay % 3600) / 60), ofDay % 60].map((n) => String(n).padStart(2, '0')).join(':');
  const iso = `${formatDate(Number(days))}T${clock}`;
  const digits = UNIT_DIGITS[unit];
  const frac = digits === 0 ? '' : '.' + fraction.toString().padStart(digits, '0');
  return iso + frac + (timestampIsUtc(type) ? 'Z' : '');
}

function parseTimestamp(type: ColumnType, text: string, where: string): bigint {
  if (text === 'infinity' || text === '-infinity') return text === 'infinity' ? TIMESTAMP_INFINITY : -TIMESTAMP_INFINITY;
  const match = /^(-?\d{4,})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]00:?00)?$/.exec(text);
  if (!match) throw new InvalidInputError(`value ${JSON.stringify(text)} is not a timestamp (YYYY-MM-DDTHH:MM:SS[.fff])`, where);
  const days = civilDays(Number(match[1]), Number(match[2]), Number(match[3]));
  const [hours, minutes, seconds] = [Number(match[4]), Number(match[5]), Number(match[6])];
  if (days === undefined || hours > 23 || minutes > 59 || seconds > 59) throw new InvalidInputError(`value ${JSON.stringify(text)} is not a timestamp`, where);
  const unit = timestampUnit(type);
  const digits = UNIT_DIGITS[unit];
  const fractionDigits = (match[7] ?? '').padEnd(9, '0');
  // Digits past the column's unit are refused, never cut (as import does).
  if (/[1-9]/.test(fractionDigits.slice(digits)))
    throw new InvalidInputError(`value ${JSON.stringify(text)} has digits past the ${unit} of a ${type} column`, where);
  const fraction = digits === 0 ? 0n : BigInt(fractionDigits.slice(0, digits));
  const secondsSinceEpoch = BigInt(days) * 86_400n + BigInt(hours * 3600 + minutes * 60 + seconds);
  return secondsSinceEpoch * UNITS_PER_SECOND[unit] + fraction;
}

/** A row as a JSON object keyed by column name. */
export function rowToJson(columns: ReadonlyArray<{ name: string; type: ColumnType }>, row: readonly Value[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < columns.length; i++) out[columns[i]!.name] = toJsonValue(columns[i]!.type, row[i] ?? null);
  return out;
}

export function utf8Length(text: string): number {
  return encoder.encode(text).length;
}
