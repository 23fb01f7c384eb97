import { InvalidInputError, SchemaMismatchError } from '../errors/index.js';
import { DECIMAL_AS_DOUBLE_HINT, columnTypeFromDuckdb, decimalLostInDouble, duckdbTypeOf, isFractionalDecimal, isWideInteger } from '../sql/duckdb-types.js';
import { quoteIdentifier } from '../sql/sql-text.js';
import { isTimestamp, timestampIsUtc, timestampUnit, type ColumnType } from '../schema/types.js';

/** The column DuckDB numbers source rows in (file order, from 1). No source column may take it. */
export const ROW_NUMBER_COLUMN = '__dgit_source_row';

/** A column of an existing table that imported rows must fit. */
export interface TargetColumn {
  name: string;
  type: ColumnType;
  nullable: boolean;
}

/** One column of the imported rows, and the SQL that makes its values from the loaded source. */
export interface PlannedColumn {
  name: string;
  type: ColumnType;
  nullable: boolean;
  /** SQL of the value, of DuckDB type `duckdbTypeOf(type)`. */
  value: string;
  /** SQL that is true when the source value does not fit `type` (only for values cast to a target type). */
  misfit?: string;
  /** SQL of the source value as text, for messages. */
  sourceText: string;
  /** Whether the file has this column (a target column may be missing, and then reads as null). */
  inSource: boolean;
  /** What to tell the user when a value does not fit (after the column and value). */
  hint?: string;
}

/**
 * The imported columns: the target's columns in their order, then the file's new
 * columns in file order (or just the file's columns when there is no target).
 */
export function planColumns(
  file: string,
  source: ReadonlyArray<{ name: string; duckType: string }>,
  options: { targetColumns?: readonly TargetColumn[]; uniqueKey: readonly string[]; sortBy: readonly string[] | 'all' },
): PlannedColumn[] {
  for (const column of source)
    if (column.name.toLowerCase() === ROW_NUMBER_COLUMN)
      throw new InvalidInputError(`${file}: the column name ${JSON.stringify(column.name)} is reserved by dgit`, file);
  const target = options.targetColumns ?? [];
  const sourceByName = new Map(source.map((column) => [column.name, column]));
  for (const column of source) {
    const clash = target.find((t) => t.name !== column.name && t.name.toLowerCase() === column.name.toLowerCase());
    if (clash)
      throw new SchemaMismatchError(
        `${file}: column ${JSON.stringify(column.name)} differs from the table's column ${JSON.stringify(clash.name)} only in case`,
        column.name,
      );
  }
  const keys = new Set(options.uniqueKey);
  const fileColumns = source.map((column) => column.name).join(', ');
  const planned: PlannedColumn[] = [];
  for (const column of target) {
    const found = sourceByName.get(column.name);
    if (found) {
      planned.push(castColumn(column, found.duckType, keys.has(column.name)));
      continue;
    }
    if (keys.has(column.name))
      throw new SchemaMismatchError(`${file}: key column ${JSON.stringify(column.name)} is missing from the file; its columns: ${fileColumns}`, column.name);
    if (!column.nullable)
      throw new SchemaMismatchError(`${file}: column ${JSON.stringify(column.name)} is missing from the file, and the table does not allow nulls in it`, column.name);
    const sql = `CAST(NULL AS ${duckdbTypeOf(column.type)})`;
    planned.push({ name: column.name, type: column.type, nullable: true, value: sql, sourceText: 'NULL', inSource: false });
  }
  const targetNames = new Set(target.map((column) => column.name));
  for (const column of source) {
    if (targetNames.has(column.name)) continue;
    const raw = quoteIdentifier(column.name);
    if (isWideInteger(column.duckType)) {
      planned.push({ ...wideIntegerAsInt64(raw), name: column.name, nullable: !keys.has(column.name), inSource: true });
      continue;
    }
    if (isFractionalDecimal(column.duckType)) {
      planned.push({ ...decimalAsFloat64(raw, column.duckType), name: column.name, nullable: !keys.has(column.name), inSource: true });
      continue;
    }
    const mapping = columnTypeFromDuckdb(column.duckType);
    const value = mapping.convert(raw);
    planned.push({ name: column.name, type: mapping.type, nullable: !keys.has(column.name), value, sourceText: `CAST(${value} AS VARCHAR)`, inSource: true });
  }
  const names = new Set(planned.map((column) => column.name));
  for (const key of options.uniqueKey)
    if (!names.has(key)) throw new SchemaMismatchError(`${file}: key column ${JSON.stringify(key)} is missing from the file; its columns: ${fileColumns}`, key);
  if (options.sortBy !== 'all')
    for (const name of options.sortBy)
      if (!names.has(name)) throw new SchemaMismatchError(`${file}: sort column ${JSON.stringify(name)} is missing from the file; its columns: ${fileColumns}`, name);
  return planned;
}

const INTEGER_TYPES = new Set<ColumnType>(['Int8', 'Int16', 'Int32', 'Int64', 'UInt8', 'UInt16', 'UInt32', 'UInt64']);

/**
 * A source column cast to a target column's type. A value fits when the cast
 * succeeds and loses nothing: 1.5 does not fit an integer (DuckDB would round it to
 * 2), 2^53+1 does not fit a Float64, 12:30 on a day does not fit a Date32, a
 * fraction of a second does not fit Timestamp<s>, nor a seventh digit of one Timestamp<us>. Text may be normalised ("007"
 * fits Int32 as 7); any value fits Utf8, as its text; Float32 takes the nearest float;
 * text fits Binary when it is base64.
 */
function castColumn(target: TargetColumn, duckType: string, isKey: boolean): PlannedColumn {
  const raw = quoteIdentifier(target.name);
  if (isWideInteger(duckType)) {
    const base = { name: target.name, type: target.type, nullable: target.nullable && !isKey, sourceText: `CAST(${raw} AS VARCHAR)`, inSource: true };
    // Text keeps every digit; any other type goes through Int64, which refuses what does not fit.
    if (target.type === 'Utf8') return { ...base, value: `CAST(${raw} AS VARCHAR)` };
    const asInt64 = wideIntegerAsInt64(raw);
    if (target.type === 'Int64') return { ...base, value: asInt64.value, misfit: asInt64.misfit, hint: asInt64.hint };
    const narrowed = castColumn(target, 'BIGINT', isKey);
    const replace = (sql: string | undefined) => sql?.split(raw).join(`TRY_CAST(${raw} AS BIGINT)`);
    return { ...narrowed, value: replace(narrowed.value)!, misfit: `(${asInt64.misfit} OR ${replace(narrowed.misfit) ?? 'false'})`, sourceText: base.sourceText };
  }
  if (isFractionalDecimal(duckType) && target.type !== 'Float32') {
    const exact = decimalAsFloat64(raw, duckType);
    const base = { name: target.name, type: target.type, nullable: target.nullable && !isKey, sourceText: exact.sourceText, inSource: true };
    // Text keeps the decimal's own digits; a double only what it holds exactly; other types go through the double.
    if (target.type === 'Utf8') return { ...base, value: `CAST(${raw} AS VARCHAR)` };
    if (target.type === 'Float64') return { ...base, value: exact.value, misfit: exact.misfit, hint: exact.hint };
    const viaDouble = castColumn(target, 'DOUBLE', isKey);
    return { ...viaDouble, misfit: `(${exact.misfit} OR ${viaDouble.misfit ?? 'false'})`, sourceText: exact.sourceText };
  }
  const mapping = columnTypeFromDuckdb(duckType);
  const source = mapping.convert(raw);
  const base = { name: target.name, type: target.type, nullable: target.nullable && !isKey, sourceText: `CAST(${source} AS VARCHAR)`, inSource: true };
  if (mapping.type === target.type) return { ...base, value: source };
  if (target.type === 'Binary' && mapping.type === 'Utf8') {
    // Text of bytes is base64, as dgit exports bytes (see toJsonValue).
    return { ...base, value: `from_base64(${source})`, misfit: `(${source} IS NOT NULL AND try(from_base64(${source})) IS NULL)` };
  }
  const targetDuckType = duckdbTypeOf(target.type);
  const value = `CAST(${source} AS ${targetDuckType})`;
  if (target.type === 'Utf8') return { ...base, value };
  const cast = `TRY_CAST(${source} AS ${targetDuckType})`;
  const losses = [`${cast} IS NULL`];
  if (mapping.type !== 'Utf8' && target.type !== 'Float32')
    losses.push(`CAST(${cast} AS ${duckdbTypeOf(mapping.type)}) IS DISTINCT FROM ${source}`);
  if (mapping.type === 'Utf8' && INTEGER_TYPES.has(target.type)) losses.push(`coalesce(TRY_CAST(${source} AS DOUBLE) <> ${cast}, false)`);
  // Integer text a double cannot hold (9007199254740993 read into Float64 is ...992): refused, as from a BIGINT column.
  if (mapping.type === 'Utf8' && target.type === 'Float64')
    losses.push(`coalesce(regexp_full_match(trim(${source}), '[+-]?[0-9]+') AND TRY_CAST(trim(${source}) AS HUGEINT) <> TRY_CAST(${cast} AS HUGEINT), false)`);
  const naiveTimestampText = mapping.type === 'Utf8' && isTimestamp(target.type) && !timestampIsUtc(target.type) && timestampUnit(target.type) !== 'ns';
  if (naiveTimestampText) losses.push(timestampTextLoss(source, targetDuckType));
  if (timestampIsUtcCoarse(target.type)) {
    const unit = timestampUnit(target.type) === 's' ? 'second' : 'millisecond';
    losses.push(`${cast} <> date_trunc('${unit}', ${cast})`);
  }
  // A UTC microsecond column reads text through TIMESTAMPTZ, which drops a seventh digit unseen: the text shows it.
  if (mapping.type === 'Utf8' && isTimestamp(target.type) && timestampIsUtc(target.type) && timestampUnit(target.type) === 'us')
    losses.push(`regexp_matches(${source}, '[.][0-9]{6}[0-9]*[1-9]')`);
  const misfit = `(${source} IS NOT NULL AND (${losses.join(' OR ')}))`;
  if (naiveTimestampText) {
    const digits = { s: 0, ms: 3, us: 6, ns: 9 }[timestampUnit(target.type)];
    const fraction = digits === 0 ? 'no fraction of a second' : `at most ${digits} digits after the second`;
    return { ...base, value, misfit, hint: `it takes a date and time with ${fraction}, and no UTC offset but Z or +00` };
  }
  return { ...base, value, misfit };
}

/**
 * A wide integer column as Int64: every value that fits is kept exactly; one that
 * does not is refused (never rounded into a Float64, never silently text).
 */
function wideIntegerAsInt64(raw: string): Pick<PlannedColumn, 'type' | 'value' | 'misfit' | 'sourceText' | 'hint'> {
  return {
    type: 'Int64',
    value: `TRY_CAST(${raw} AS BIGINT)`,
    misfit: `(${raw} IS NOT NULL AND TRY_CAST(${raw} AS BIGINT) IS NULL)`,
    sourceText: `CAST(${raw} AS VARCHAR)`,
    hint: 'integers past Int64 are not rounded into a Float64; keep such numbers as text (JSON strings, or a Utf8 column of an existing table)',
  };
}

/**
 * A decimal column as Float64, dgit's only fractional type: a value is kept when the
 * double holds it exactly (see `decimalLostInDouble`); one a double would round
 * (0.1234567890123456789) is refused with its line, never rounded.
 */
function decimalAsFloat64(raw: string, duckType: string): Pick<PlannedColumn, 'type' | 'value' | 'misfit' | 'sourceText' | 'hint'> {
  return {
    type: 'Float64',
    value: `CAST(${raw} AS DOUBLE)`,
    misfit: `(${raw} IS NOT NULL AND ${decimalLostInDouble(raw, duckType)})`,
    sourceText: `CAST(${raw} AS VARCHAR)`,
    hint: DECIMAL_AS_DOUBLE_HINT,
  };
}

/**
 * SQL that is true when timestamp text says more than a naive column of `duckType` (TIMESTAMP_S,
 * TIMESTAMP_MS or TIMESTAMP) keeps: digits past its unit ('00:00:00.0000001' into microseconds),
 * which the cast would drop or round, or an offset ('+02'), which it would ignore. The text read
 * as TIMESTAMP_NS shows both. That type holds only 1677-09-22 to 2262-04-11, and casting a later
 * TIMESTAMP to it throws even in TRY_CAST, so both sides read the text with its year set to 2000
 * (and ' (BC)' dropped): 2000 is a leap year, so every valid day stays valid, and only the time of
 * day can differ. Text that TIMESTAMP_NS cannot read even then is left to the cast's own check.
 */
function timestampTextLoss(source: string, duckType: string): string {
  const inYear2000 = `regexp_replace(regexp_replace(${source}, '^[[:space:]]*-?[0-9]+', '2000'), '(?i)[[:space:]]\\(bc\\)', '')`;
  const exact = `TRY_CAST(${inYear2000} AS TIMESTAMP_NS)`;
  const kept = `CAST(TRY_CAST(${inYear2000} AS ${duckType}) AS TIMESTAMP_NS)`;
  // CASE evaluates `kept` only for rows that reach it, so text that is not shifted never throws.
  return `coalesce(CASE WHEN ${exact} IS NULL THEN false ELSE ${exact} <> ${kept} END, false)`;
}

/** UTC timestamps coarser than DuckDB's TIMESTAMPTZ (microseconds), whose loss a cast does not reveal. */
function timestampIsUtcCoarse(type: ColumnType): boolean {
  return isTimestamp(type) && timestampIsUtc(type) && (timestampUnit(type) === 's' || timestampUnit(type) === 'ms');
}
