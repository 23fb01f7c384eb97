import type { Writable } from 'node:stream';
import type { RowChange, SchemaChanges, TableDiff } from '../../engine/diff/index.js';
import { DiffCounter } from '../../engine/diff/index.js';
import { toJsonValue, type Row, type Value } from '../../engine/value/value.js';
import type { DiffReport } from '../../engine/diff/diff-report.js';
import { TextSink } from './text-sink.js';

export interface JsonDiffOptions {
  /** Only `summary` and `schema` per table (`--stat`). */
  stat?: boolean;
  /** Most rows written per table; the rest are still counted in `summary`, and `truncated` is set. */
  limit?: number;
}

/** The `schema` object of `dgit diff --json`. */
export function schemaChangesToJson(schema: SchemaChanges): Record<string, unknown> {
  const out: Record<string, unknown> = {
    added: schema.added.map((c) => ({ name: c.name, type: c.type })),
    dropped: schema.dropped.map((c) => ({ name: c.name, type: c.type })),
    changed: schema.changed.map((c) => {
      const entry: Record<string, unknown> = { name: c.name };
      if (c.previousName !== undefined) entry.renamed_from = c.previousName;
      if (c.type) entry.type = c.type;
      if (c.nullable) entry.nullable = c.nullable;
      return entry;
    }),
  };
  if (schema.primaryKey) out.primary_key = schema.primaryKey;
  return out;
}

function keyToJson(diff: TableDiff, key: readonly Value[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  diff.keyColumns.forEach((index, i) => {
    const column = diff.columns[index]!;
    out[column.name] = toJsonValue(column.type, key[i] ?? null);
  });
  return out;
}

function sideToJson(diff: TableDiff, row: Row, side: 'beforeName' | 'afterName'): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  diff.columns.forEach((column, index) => {
    const name = column[side];
    if (name !== undefined) out[name] = toJsonValue(column.type, row[index] ?? null);
  });
  return out;
}

/**
 * A row change in the shape of `dgit diff --json`. A changed key (a paired delete
 * and add, dolt#7808) is a `modified` row whose `key` is the new key, with
 * `previous_key` the old one, `inferred: true` (the pairing is a guess dgit made,
 * not a recorded fact) and the key columns in `changed`.
 */
export function rowChangeToJson(diff: TableDiff, change: RowChange): Record<string, unknown> {
  const out: Record<string, unknown> = { status: change.status, key: keyToJson(diff, change.key) };
  if (change.status === 'modified' && change.previousKey) {
    out.previous_key = keyToJson(diff, change.previousKey);
    out.inferred = true;
  }
  if (change.status !== 'added') out.before = sideToJson(diff, change.before, 'beforeName');
  if (change.status !== 'deleted') out.after = sideToJson(diff, change.after, 'afterName');
  if (change.status === 'modified') out.changed = change.changed;
  return out;
}

/**
 * Writes `dgit diff --json` to `out` as a stream, one row at a time. Unchanged
 * tables are left out. Because rows are streamed in one pass, each table's
 * `summary` comes after its `rows` (JSON objects are unordered; parsers do not mind).
 */
export async function writeDiffJson(report: DiffReport, out: Writable, options: JsonDiffOptions = {}): Promise<void> {
  const sink = new TextSink(out);
  await sink.write(`{"from":${JSON.stringify(report.from)},"to":${JSON.stringify(report.to)},"tables":[`);
  let firstTable = true;
  for await (const { table, diff } of report.tables) {
    if (diff.status === 'unchanged') continue;
    await sink.write(`${firstTable ? '' : ','}\n{"table":${JSON.stringify(table)},"status":${JSON.stringify(diff.status)},"schema":${jsonText(schemaChangesToJson(diff.schema))}`);
    firstTable = false;
    const counter = new DiffCounter(diff.columns);
    if (options.stat) {
      for await (const change of diff.rows) counter.add(change);
      await sink.write(`,"summary":${JSON.stringify(counter.summary)}}`);
      continue;
    }
    await sink.write(',"rows":[');
    const limit = options.limit ?? Infinity;
    let written = 0;
    for await (const change of diff.rows) {
      counter.add(change);
      if (written >= limit) continue;
      await sink.write(`${written === 0 ? '' : ','}\n${jsonText(rowChangeToJson(diff, change))}`);
      written++;
    }
    await sink.write(`${written > 0 ? '\n' : ''}],"truncated":${counter.entries > written},"summary":${JSON.stringify(counter.summary)}}`);
  }
  await sink.write(`${firstTable ? '' : '\n'}]}\n`);
  await sink.flush();
}

function jsonText(value: unknown): string {
  return JSON.stringify(value);
}
