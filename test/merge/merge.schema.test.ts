import { describe, expect, it } from 'vitest';
import { mergeSchemas, schemaConflictToJson } from '../../engine/merge/index.js';
import { columnId, withAddedColumn, type Column, type TableSchema } from '../../engine/schema/schema.js';
import { addColumn, dropColumn, idOf, renameColumn, retypeColumn, schemaOf, withKey } from '../diff/in-memory-table.js';

const t = schemaOf(
  [
    ['id', 'Int32'],
    ['a', 'Utf8'],
    ['b', 'Int32'],
  ],
  ['id'],
);
const shape = (schema: TableSchema) => schema.columns.map((c) => [c.id, c.name, c.type, c.nullable]);
/** `schema` with one more column carrying a hand-picked id, as a schema written elsewhere may. */
const withColumn = (schema: TableSchema, column: Column): TableSchema => ({ ...schema, columns: [...schema.columns, column] });

describe('schema merge by column id', () => {
  it('changes on one side win, attribute by attribute', () => {
    const ours = renameColumn(t, 'a', 'label');
    const theirs = retypeColumn(t, 'a', 'Binary');
    const merged = mergeSchemas(t, ours, theirs);
    expect(merged.conflicts).toEqual([]);
    expect(shape(merged.schema)).toEqual([
      [idOf(t, 'id'), 'id', 'Int32', false],
      [idOf(t, 'a'), 'label', 'Binary', true],
      [idOf(t, 'b'), 'b', 'Int32', true],
    ]);
  });

  it('a theirs column whose id ours already gave a different column gets a fresh id', () => {
    // Ids derive from name and type, so this needs a hash clash: build it by hand.
    const ours = addColumn(t, 'c', 'Int32');
    const clashing = idOf(ours, 'c');
    const theirs = withColumn(t, { id: clashing, name: 'd', type: 'Utf8', nullable: true });
    const merged = mergeSchemas(t, ours, theirs);
    expect(merged.conflicts).toEqual([]);
    const fresh = merged.theirsIds.get(clashing)!;
    expect(fresh).toBeDefined();
    for (const column of ours.columns) expect(fresh).not.toBe(column.id);
    // The id d would get if it were added on ours.
    expect(fresh).toBe(idOf(withAddedColumn(ours, 'd', 'Utf8'), 'd'));
    expect(shape(merged.schema).slice(3)).toEqual([
      [clashing, 'c', 'Int32', true],
      [fresh, 'd', 'Utf8', true],
    ]);
    expect(new Set(merged.schema.columns.map((c) => c.id)).size).toBe(merged.schema.columns.length);
    // Base columns keep their ids on theirs.
    for (const name of ['id', 'a', 'b']) expect(merged.theirsIds.get(idOf(t, name))).toBe(idOf(t, name));
  });

  it('two branches adding different columns get different ids and merge with no clash; the same column gets the same id', () => {
    const ours = withAddedColumn(t, 'c', 'Int32');
    const theirs = withAddedColumn(t, 'd', 'Int32');
    expect(idOf(ours, 'c')).not.toBe(idOf(theirs, 'd'));
    expect(idOf(ours, 'c')).toBe(columnId('c', 'Int32'));
    const merged = mergeSchemas(t, ours, theirs);
    expect(merged.conflicts).toEqual([]);
    expect(merged.theirsIds.get(idOf(theirs, 'd'))).toBe(idOf(theirs, 'd'));
    expect(shape(merged.schema).slice(3)).toEqual([
      [idOf(ours, 'c'), 'c', 'Int32', true],
      [idOf(theirs, 'd'), 'd', 'Int32', true],
    ]);

    const again = withAddedColumn(t, 'c', 'Int32');
    expect(idOf(again, 'c')).toBe(idOf(ours, 'c'));
    const same = mergeSchemas(t, ours, again);
    expect(same.conflicts).toEqual([]);
    expect(same.theirsIds.get(idOf(again, 'c'))).toBe(idOf(ours, 'c'));
    expect(shape(same.schema)).toEqual(shape(ours));
    // Added in a different order after other columns, it still gets the same id.
    const later = withAddedColumn(withAddedColumn(t, 'x', 'Utf8'), 'c', 'Int32');
    expect(idOf(later, 'c')).toBe(idOf(ours, 'c'));
  });

  it('the same column added on both sides maps theirs id to ours and is nullable if either side allows it', () => {
    const ours = addColumn(t, 'c', 'Int32');
    const strict: TableSchema = { ...ours, columns: ours.columns.map((c) => (c.name === 'c' ? { ...c, nullable: false } : c)) };
    const theirs = addColumn(addColumn(t, 'x', 'Utf8'), 'c', 'Int32');
    const merged = mergeSchemas(t, strict, theirs);
    expect(merged.conflicts).toEqual([]);
    expect(merged.theirsIds.get(idOf(theirs, 'c'))).toBe(idOf(ours, 'c'));
    expect(shape(merged.schema).slice(3)).toEqual([
      [idOf(ours, 'c'), 'c', 'Int32', true],
      [idOf(theirs, 'x'), 'x', 'Utf8', true],
    ]);
    // Matched by name even when theirs carries another id for it (a schema written with other ids).
    const otherId = withColumn(addColumn(t, 'x', 'Utf8'), { id: 5, name: 'c', type: 'Int32', nullable: true });
    const byName = mergeSchemas(t, strict, otherId);
    expect(byName.conflicts).toEqual([]);
    expect(byName.theirsIds.get(5)).toBe(idOf(ours, 'c'));
    expect(shape(byName.schema).slice(3)).toEqual([
      [idOf(ours, 'c'), 'c', 'Int32', true],
      [idOf(theirs, 'x'), 'x', 'Utf8', true],
    ]);
  });

  it('a column dropped on one side and changed on the other is a conflict', () => {
    const merged = mergeSchemas(t, dropColumn(t, 'b'), retypeColumn(t, 'b', 'Int64'));
    expect(merged.conflicts.map((c) => c.reason)).toEqual(['column-drop-update']);
    const swapped = mergeSchemas(t, retypeColumn(t, 'b', 'Int64'), dropColumn(t, 'b'));
    expect(swapped.conflicts.map((c) => c.reason)).toEqual(['column-update-drop']);
  });

  it('a column dropped on one side and retyped by ALTER COLUMN TYPE (a new column id) on the other is a conflict, not a drop lost', () => {
    // sql-ddl.ts gives a retyped column a new id: the base column reads as gone on both sides, and a new one appears.
    const retyped = addColumn(dropColumn(t, 'b'), 'b', 'Float64');
    expect(idOf(retyped, 'b')).not.toBe(idOf(t, 'b'));
    const merged = mergeSchemas(t, dropColumn(t, 'b'), retyped);
    expect(merged.conflicts.map((c) => [c.reason, c.message])).toEqual([['column-drop-update', 'column "b" was dropped on ours and retyped to Float64 on theirs']]);
    const swapped = mergeSchemas(t, retyped, dropColumn(t, 'b'));
    expect(swapped.conflicts.map((c) => [c.reason, c.message])).toEqual([['column-update-drop', 'column "b" was retyped to Float64 on ours and dropped on theirs']]);
    // Retyped on one side and left alone on the other: the retype wins, as before.
    expect(mergeSchemas(t, t, retyped).conflicts).toEqual([]);
  });

  it('a rename onto a name the other side added is a name clash', () => {
    const merged = mergeSchemas(t, renameColumn(t, 'a', 'c'), addColumn(t, 'c', 'Utf8'));
    expect(merged.conflicts.map((c) => c.reason)).toEqual(['column-name-clash']);
  });

  it('both sides changing the key differently is a conflict; one side changing it is reported', () => {
    const byA = withKey(t, ['a']);
    const byB = withKey(t, ['b']);
    expect(mergeSchemas(t, byA, byB).conflicts.map((c) => c.reason)).toEqual(['primary-key']);
    expect(mergeSchemas(t, t, byA).primaryKeyChangedBy).toBe('theirs');
    expect(mergeSchemas(t, byA, byA).primaryKeyChangedBy).toBe('both');
  });

  it('a schema conflict has the kind `schema` in the conflicts JSON', () => {
    const merged = mergeSchemas(t, retypeColumn(t, 'b', 'Int64'), retypeColumn(t, 'b', 'Utf8'));
    expect(merged.conflicts.map(schemaConflictToJson)).toEqual([
      {
        key: null,
        kind: 'schema',
        reason: 'column-type',
        base: { name: 'b', type: 'Int32', nullable: true },
        ours: { name: 'b', type: 'Int64', nullable: true },
        theirs: { name: 'b', type: 'Utf8', nullable: true },
        columns: ['b'],
        message: 'column "b" changed type to Int64 on ours and to Utf8 on theirs',
      },
    ]);
  });
});
