import { DgitError } from '../errors/index.js';
import { isKeyless, keyColumnIndexes, type TableSchema } from '../schema/schema.js';
import type { ChunkReader, TableVersion } from '../table/table-version.js';
import { compareKeys, fromJsonValue, rowsEqual, toJsonValue, valuesEqual, type Row, type Value } from '../value/value.js';
import { editLocation, PatchError, type ParsedPatch, type PatchOp } from './patch.js';
import { RowLookup } from './row-lookup.js';

/** One edit of a patch as it acts on the table: the row before and after, the cells it changes. */
export interface ResolvedEdit {
  op: PatchOp;
  /** Where the edit was written (`line 4`, `edit 2 (edits[1])`). */
  where: string;
  reason: string;
  /** The row's key as JSON (the whole row, for a keyless table). */
  key: Record<string, unknown>;
  before: Row | undefined;
  after: Row | undefined;
  /** Columns whose value the edit changes (for an insert, every column it fills). */
  columns: string[];
}

/** A patch resolved against a table: row edits ready for `applyEdits`, and what they change. */
export interface TableChange {
  table: string;
  version: TableVersion;
  /** Sorted by key. */
  upserts: Row[];
  /** Keys (whole rows, for a keyless table), sorted. */
  deletes: Value[][];
  /** Rows moved to `<table>__quarantine`, with their reasons. */
  quarantined: Array<{ row: Row; reason: string }>;
  /** The edits that change something (an upsert or update to equal values changes nothing). */
  edits: ResolvedEdit[];
  counts: { inserted: number; updated: number; deleted: number; quarantined: number; unchanged: number };
}

/** Rows of the table a change touches: each inserted, updated, deleted or quarantined row once. */
export function rowsChanged(change: TableChange): number {
  return change.edits.length;
}

/** Columns whose cells a change writes. */
export function columnsTouched(change: TableChange): Set<string> {
  return new Set(change.edits.flatMap((edit) => edit.columns));
}

/**
 * Check every value of a patch against the table's column types, find the rows its
 * keys name, and turn it into sorted row edits. Errors (PatchError) name the edit:
 * an unknown column, a value that does not fit its type, a key with no row, two
 * edits of one key. Reads only the chunks holding the keys.
 */
export async function resolvePatch(parsed: ParsedPatch, version: TableVersion, reader: ChunkReader, source = 'patch'): Promise<TableChange> {
  const { patch } = parsed;
  const schema = version.schema;
  const bag = isKeyless(schema);
  const keyIndexes = keyColumnIndexes(schema);
  const keyNames = keyIndexes.map((i) => schema.columns[i]!.name);
  const lookup = new RowLookup(version, reader);
  const change: TableChange = {
    table: patch.table,
    version,
    upserts: [],
    deletes: [],
    quarantined: [],
    edits: [],
    counts: { inserted: 0, updated: 0, deleted: 0, quarantined: 0, unchanged: 0 },
  };
  /** For a keyed table: which edit named each key. For a keyless one: copies of each row taken so far. */
  const seen = new Map<string, { where: string; taken: number }>();

  for (const [index, edit] of patch.edits.entries()) {
    const where = editLocation(parsed, index);
    const fail = (message: string): never => {
      throw new PatchError(`${where}: ${message}`, source);
    };
    const convert = (column: string, json: unknown): Value => {
      const type = schema.columns.find((c) => c.name === column)!.type;
      try {
        return fromJsonValue(type, json, column);
      } catch (error) {
        if (error instanceof DgitError) return fail(`column ${JSON.stringify(column)}: ${error.message}`);
        throw error;
      }
    };
    const unknownColumn = (name: string) =>
      fail(`column ${JSON.stringify(name)} is not in table ${patch.table} (columns: ${schema.columns.map((c) => c.name).join(', ')})`);

    /** A key object as values in key order; every key column named, nothing else, no null (unless keyless). */
    const keyValues = (key: Record<string, unknown>): Value[] => {
      for (const name of Object.keys(key)) {
        if (!schema.columns.some((c) => c.name === name)) unknownColumn(name);
        if (!keyNames.includes(name)) fail(`key names ${JSON.stringify(name)}, which is not a key column of ${patch.table} (key: ${keyNames.join(', ')})`);
      }
      return keyNames.map((name) => {
        if (!(name in key)) fail(bag ? `${patch.table} has no primary key, so a key is the whole row: it lacks column ${JSON.stringify(name)}` : `key lacks column ${JSON.stringify(name)}`);
        const value = convert(name, key[name]);
        if (value === null && !bag) fail(`key column ${JSON.stringify(name)} is null`);
        return value;
      });
    };
    const fullRow = (row: Record<string, unknown>): Row => {
      for (const name of Object.keys(row)) if (!schema.columns.some((c) => c.name === name)) unknownColumn(name);
      return schema.columns.map((column) => {
        if (!(column.name in row)) fail(`upsert row lacks column ${JSON.stringify(column.name)} (an upsert writes the whole row; use update to change some cells)`);
        const value = convert(column.name, row[column.name]);
        if (value === null && !column.nullable) fail(`column ${JSON.stringify(column.name)} may not be null`);
        return value;
      });
    };
    /** Claim the row of `key`: it must exist (unless `mayBeNew`), and no other edit may name it (or, keyless, more copies than there are). */
    const claim = async (key: Value[], mayBeNew: boolean): Promise<Row | undefined> => {
      const text = keyText(schema, key);
      const rows = await lookup.rowsWithKey(key);
      const entry = seen.get(text);
      if (!bag && entry) fail(`${entry.where} already changes the row of key ${text}`);
      const taken = entry?.taken ?? 0;
      if (taken >= rows.length) {
        if (mayBeNew) {
          seen.set(text, { where, taken: taken + 1 });
          return undefined;
        }
        return rows.length === 0 ? fail(`no row of ${patch.table} has the key ${text}`) : fail(`the row ${text} is in ${patch.table} ${rows.length} time(s), and earlier edits already took every copy`);
      }
      seen.set(text, { where, taken: taken + 1 });
      return rows[taken];
    };
    const changedColumns = (before: Row | undefined, after: Row): string[] =>
      schema.columns.filter((_, i) => (before ? !valuesEqual(before[i]!, after[i]!) : after[i] !== null || keyIndexes.includes(i))).map((c) => c.name);
    const keyJson = (key: Value[]): Record<string, unknown> => Object.fromEntries(keyNames.map((name, i) => [name, toJsonValue(schema.columns[keyIndexes[i]!]!.type, key[i]!)]));

    switch (edit.op) {
      case 'upsert': {
        const after = fullRow(edit.row);
        const key = keyIndexes.map((i) => after[i]!);
        // In a keyless table an upsert adds a copy; in a keyed one it inserts or replaces the row of its key.
        const before = bag ? undefined : await claim(key, true);
        if (before && rowsEqual(before, after)) {
          change.counts.unchanged++;
          break;
        }
        change.upserts.push(after);
        change.edits.push({ op: 'upsert', where, reason: edit.reason, key: keyJson(key), before, after, columns: changedColumns(before, after) });
        if (before) change.counts.updated++;
        else change.counts.inserted++;
        break;
      }
      case 'update': {
        const key = keyValues(edit.key);
        for (const name of Object.keys(edit.set)) {
          if (!schema.columns.some((c) => c.name === name)) unknownColumn(name);
          if (!bag && keyNames.includes(name)) fail(`update cannot change key column ${JSON.stringify(name)}; delete the row and upsert a new one`);
        }
        const before = (await claim(key, false))!;
        const after = schema.columns.map((column, i) => {
          if (!(column.name in edit.set)) return before[i]!;
          const value = convert(column.name, edit.set[column.name]);
          if (value === null && !column.nullable) fail(`column ${JSON.stringify(column.name)} may not be null`);
          return value;
        });
        if (rowsEqual(before, after)) {
          change.counts.unchanged++;
          break;
        }
        // A keyless row is its own key: changing it is removing one copy and adding the new row.
        if (bag) change.deletes.push(key);
        change.upserts.push(after);
        change.edits.push({ op: 'update', where, reason: edit.reason, key: keyJson(key), before, after, columns: changedColumns(before, after) });
        change.counts.updated++;
        break;
      }
      case 'delete':
      case 'quarantine': {
        const key = keyValues(edit.key);
        const before = (await claim(key, false))!;
        change.deletes.push(key);
        if (edit.op === 'quarantine') {
          change.quarantined.push({ row: before, reason: edit.reason });
          change.counts.quarantined++;
        } else change.counts.deleted++;
        change.edits.push({ op: edit.op, where, reason: edit.reason, key: keyJson(key), before, after: undefined, columns: [] });
        break;
      }
    }
  }
  const keyOf = (row: readonly Value[]) => keyIndexes.map((i) => row[i]!);
  change.upserts.sort((a, b) => compareKeys(keyOf(a), keyOf(b)));
  change.deletes.sort(compareKeys);
  return change;
}

function keyText(schema: TableSchema, key: readonly Value[]): string {
  const keyIndexes = keyColumnIndexes(schema);
  return JSON.stringify(Object.fromEntries(keyIndexes.map((index, i) => [schema.columns[index]!.name, toJsonValue(schema.columns[index]!.type, key[i]!)])));
}
