import { columnId, storedName, storedNamesClash, withoutStoredNames, type Column, type TableSchema } from '../schema/schema.js';
import type { SchemaConflict, SchemaSnapshot } from './conflict.js';

/** The three-way merge of a table's schema. */
export interface SchemaMerge {
  /** Ours' columns (ids kept) with theirs' changes applied and theirs' new columns appended. */
  schema: TableSchema;
  /** Merged id of each of theirs' columns: its own, or ours' for a column both added under one name, or a fresh one when its id was taken. */
  theirsIds: Map<number, number>;
  conflicts: SchemaConflict[];
  /** Which side changed the primary key: a key change cannot be merged with row edits of the other side. */
  primaryKeyChangedBy: 'none' | 'ours' | 'theirs' | 'both';
}

function snapshot(column: Column | undefined): SchemaSnapshot | undefined {
  return column && { name: column.name, type: column.type, nullable: column.nullable };
}

function columnChanged(base: Column, side: Column): boolean {
  return base.name !== side.name || base.type !== side.type || base.nullable !== side.nullable;
}

/** Three-way merge of one attribute: the side that changed it wins; both changing it differently is a conflict. */
function mergeValue<T>(base: T, ours: T, theirs: T): { value: T; conflict: boolean } {
  if (ours === theirs) return { value: ours, conflict: false };
  if (ours === base) return { value: theirs, conflict: false };
  if (theirs === base) return { value: ours, conflict: false };
  return { value: ours, conflict: true };
}

function sameIds(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((id, i) => id === b[i]);
}

/**
 * Merges schemas by column id, as Dolt and Kart do. A column added on one side
 * appears (the other side's rows read it as null); the same name added on both
 * sides is one column when its type agrees; a rename, retype or nullability
 * change on one side wins; both changing one attribute differently, or one side
 * dropping a column the other changed, is a conflict. `base` undefined means the
 * table was added on both sides: every column is then new and matched by name.
 */
export function mergeSchemas(base: TableSchema | undefined, ours: TableSchema, theirs: TableSchema): SchemaMerge {
  const conflicts: SchemaConflict[] = [];
  const baseById = new Map((base?.columns ?? []).map((c) => [c.id, c]));
  const oursById = new Map(ours.columns.map((c) => [c.id, c]));
  const theirsById = new Map(theirs.columns.map((c) => [c.id, c]));
  const oursAdded = ours.columns.filter((c) => !baseById.has(c.id));
  const theirsAdded = theirs.columns.filter((c) => !baseById.has(c.id));

  const theirsIds = new Map<number, number>();
  const matchedByName = new Map<number, Column>(); // ours id -> theirs column added under the same name
  const usedIds = new Set([...ours.columns.map((c) => c.id), ...baseById.keys()]);
  for (const column of theirs.columns) if (baseById.has(column.id)) theirsIds.set(column.id, column.id);
  for (const column of theirsAdded) {
    const twin = oursAdded.find((c) => c.name === column.name);
    if (twin) {
      theirsIds.set(column.id, twin.id);
      matchedByName.set(twin.id, column);
    } else if (!usedIds.has(column.id)) {
      theirsIds.set(column.id, column.id);
      usedIds.add(column.id);
    } else {
      // Ids derive from name and type, so a clash means two different columns hashed alike: salt a fresh one.
      const fresh = columnId(column.name, column.type, usedIds);
      usedIds.add(fresh);
      theirsIds.set(column.id, fresh);
    }
  }

  const columns: Column[] = [];
  for (const own of ours.columns) {
    const was = baseById.get(own.id);
    if (!was) {
      const twin = matchedByName.get(own.id);
      if (twin && twin.type !== own.type) {
        conflicts.push({
          kind: 'schema',
          reason: 'column-type',
          columns: [own.name],
          message: `column ${JSON.stringify(own.name)} was added on both sides with different types (${own.type} and ${twin.type})`,
          ours: snapshot(own),
          theirs: snapshot(twin),
        });
      }
      columns.push(twin ? { ...own, nullable: own.nullable || twin.nullable } : own);
      continue;
    }
    const other = theirsById.get(own.id);
    if (!other) {
      if (columnChanged(was, own)) {
        conflicts.push({
          kind: 'schema',
          reason: 'column-update-drop',
          columns: [own.name],
          message: `column ${JSON.stringify(own.name)} was changed on ours and dropped on theirs`,
          base: snapshot(was),
          ours: snapshot(own),
        });
        columns.push(own);
      }
      continue;
    }
    const name = mergeValue(was.name, own.name, other.name);
    const type = mergeValue(was.type, own.type, other.type);
    const nullable = mergeValue(was.nullable, own.nullable, other.nullable);
    if (name.conflict) {
      conflicts.push({
        kind: 'schema',
        reason: 'column-name',
        columns: [own.name, other.name],
        message: `column ${JSON.stringify(was.name)} was renamed to ${JSON.stringify(own.name)} on ours and to ${JSON.stringify(other.name)} on theirs`,
        base: snapshot(was),
        ours: snapshot(own),
        theirs: snapshot(other),
      });
    }
    if (type.conflict) {
      conflicts.push({
        kind: 'schema',
        reason: 'column-type',
        columns: [own.name],
        message: `column ${JSON.stringify(own.name)} changed type to ${own.type} on ours and to ${other.type} on theirs`,
        base: snapshot(was),
        ours: snapshot(own),
        theirs: snapshot(other),
      });
    }
    // Ours' chunks are the ones kept, so the column keeps ours' stored name whatever it is called now.
    const stored = storedName(own);
    columns.push({ id: own.id, name: name.value, type: type.value, nullable: nullable.value, ...(stored !== name.value ? { stored } : {}) });
  }
  for (const was of base?.columns ?? []) {
    const other = theirsById.get(was.id);
    if (oursById.has(was.id) || !other || !columnChanged(was, other)) continue;
    conflicts.push({
      kind: 'schema',
      reason: 'column-drop-update',
      columns: [other.name],
      message: `column ${JSON.stringify(was.name)} was dropped on ours and changed on theirs`,
      base: snapshot(was),
      theirs: snapshot(other),
    });
  }
  // A retype makes a new column (a new id, see sql-ddl.ts), so a column one side retyped and the other dropped
  // reads as dropped on both sides plus a new column of the same name: the drop would be lost without a word.
  for (const was of base?.columns ?? []) {
    if (oursById.has(was.id) || theirsById.has(was.id)) continue;
    const oursRetype = oursAdded.find((c) => c.name === was.name);
    const theirsRetype = theirsAdded.find((c) => c.name === was.name);
    if (theirsRetype && !oursRetype)
      conflicts.push({
        kind: 'schema',
        reason: 'column-drop-update',
        columns: [was.name],
        message: `column ${JSON.stringify(was.name)} was dropped on ours and retyped to ${theirsRetype.type} on theirs`,
        base: snapshot(was),
        theirs: snapshot(theirsRetype),
      });
    if (oursRetype && !theirsRetype)
      conflicts.push({
        kind: 'schema',
        reason: 'column-update-drop',
        columns: [was.name],
        message: `column ${JSON.stringify(was.name)} was retyped to ${oursRetype.type} on ours and dropped on theirs`,
        base: snapshot(was),
        ours: snapshot(oursRetype),
      });
  }
  for (const column of theirsAdded) {
    if (matchedByName.get(theirsIds.get(column.id)!) === column) continue;
    columns.push({ ...column, id: theirsIds.get(column.id)! });
  }

  const seen = new Map<string, Column>();
  for (const column of columns) {
    const clash = seen.get(column.name);
    if (clash) {
      conflicts.push({
        kind: 'schema',
        reason: 'column-name-clash',
        columns: [column.name],
        message: `two different columns are named ${JSON.stringify(column.name)} after the merge`,
        ours: snapshot(clash),
        theirs: snapshot(column),
      });
    }
    seen.set(column.name, column);
  }

  const namesOf = (schema: TableSchema | undefined, ids: readonly number[], byId: (id: number) => Column | undefined) =>
    schema ? ids.map((id) => byId(id)?.name ?? `#${id}`) : undefined;
  const oursKey = ours.primaryKey;
  const theirsKey = theirs.primaryKey.map((id) => theirsIds.get(id) ?? -id);
  let primaryKey = oursKey;
  let primaryKeyChangedBy: SchemaMerge['primaryKeyChangedBy'] = 'none';
  if (sameIds(oursKey, theirsKey)) {
    if (base && !sameIds(base.primaryKey, oursKey)) primaryKeyChangedBy = 'both';
  } else if (base && sameIds(base.primaryKey, oursKey)) {
    primaryKey = theirsKey;
    primaryKeyChangedBy = 'theirs';
  } else if (base && sameIds(base.primaryKey, theirsKey)) {
    primaryKeyChangedBy = 'ours';
  } else {
    conflicts.push({
      kind: 'schema',
      reason: 'primary-key',
      columns: [],
      message: 'the primary key was changed differently on the two sides',
      base: base && { primaryKey: namesOf(base, base.primaryKey, (id) => baseById.get(id))! },
      ours: { primaryKey: namesOf(ours, ours.primaryKey, (id) => oursById.get(id))! },
      theirs: { primaryKey: namesOf(theirs, theirs.primaryKey, (id) => theirsById.get(id))! },
    });
  }
  const mergedIds = new Set(columns.map((c) => c.id));
  if (primaryKey.some((id) => !mergedIds.has(id)) && !conflicts.some((c) => c.reason === 'primary-key')) {
    conflicts.push({
      kind: 'schema',
      reason: 'primary-key',
      columns: [],
      message: 'a primary-key column was dropped on the other side',
      ours: { primaryKey: namesOf(ours, ours.primaryKey, (id) => oursById.get(id))! },
      theirs: { primaryKey: namesOf(theirs, theirs.primaryKey, (id) => theirsById.get(id))! },
    });
  }
  return {
    // Chunk files cannot hold two columns under one name: then every chunk is rewritten under the current names.
    schema: { ...ours, columns: storedNamesClash(columns) ? withoutStoredNames(columns) : columns, primaryKey },
    theirsIds,
    conflicts,
    primaryKeyChangedBy,
  };
}
