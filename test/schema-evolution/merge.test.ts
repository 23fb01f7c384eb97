import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createBranch, resetHard, switchBranch } from '../../engine/commands/branch.js';
import { commit } from '../../engine/commands/commit.js';
import { listConflicts, resolveConflicts } from '../../engine/commands/conflicts.js';
import { importTable } from '../../engine/commands/import.js';
import { abortMerge, continueMerge, merge } from '../../engine/commands/merge.js';
import { runSql } from '../../engine/commands/sql.js';
import { Repository } from '../../engine/repository/repository.js';
import { tempDir } from '../support/cli.js';

const author = { name: 'Test', email: 'test@example.com' };

/** main and feature from one base: t(id, name, score) keyed by id, and the bag b(city, n). */
async function setup(): Promise<Repository> {
  const dir = tempDir('dgit-schema-merge-');
  const { repository } = await Repository.init(dir);
  const load = async (table: string, text: string, key?: string[]) => {
    const file = path.join(dir, '..', `${path.basename(dir)}-${table}.csv`);
    fs.writeFileSync(file, text);
    await importTable(repository, file, { table, key });
    fs.rmSync(file);
  };
  await load('t', 'id,name,score\n1,a,10\n2,b,20\n3,c,30\n4,d,40\n', ['id']);
  await load('b', 'city,n\nx,1\nx,1\ny,2\nz,3\n');
  await commit(repository, { message: 'base', author });
  await createBranch(repository, 'feature');
  return repository;
}

async function onBranch(repository: Repository, branch: string, statements: string[]): Promise<void> {
  await switchBranch(repository, branch);
  for (const statement of statements) await runSql(repository, statement);
  await commit(repository, { message: `${branch} changes`, author });
}

async function query(repository: Repository, sql: string): Promise<unknown[]> {
  const result = await runSql(repository, sql);
  if (result.kind !== 'rows') throw new Error('not a query');
  return result.rows;
}

interface Outcome {
  status: string;
  /** Conflicts as `table kind/reason`, sorted. */
  conflicts: string[];
}

async function mergeInto(repository: Repository, into: string, from: string): Promise<Outcome> {
  await switchBranch(repository, into);
  const result = await merge(repository, from);
  if (result.status !== 'conflicts') return { status: result.status, conflicts: [] };
  const listed = await listConflicts(repository);
  const conflicts = listed.tables
    .flatMap((t) => (t.conflicts as Array<Record<string, unknown>>).map((c) => `${t.table} ${String(c['kind'])}${c['reason'] ? '/' + String(c['reason']) : ''}`))
    .sort();
  return { status: result.status, conflicts };
}

/** The same conflict seen from the other side. */
function swapped(conflict: string): string {
  const pairs: Record<string, string> = {
    'column-drop-edit': 'column-edit-drop',
    'column-edit-drop': 'column-drop-edit',
    'table-delete-update': 'table-update-delete',
    'table-update-delete': 'table-delete-update',
    'column-drop-update': 'column-update-drop',
    'column-update-drop': 'column-drop-update',
  };
  return conflict.replace(/[a-z-]+$/, (reason) => pairs[reason] ?? reason);
}

interface SchemaMergeCase {
  name: string;
  main: string[];
  feature: string[];
  /** Conflicts of merging feature into main (`table kind/reason`); none: a clean merge. */
  conflicts: string[];
  /** After a clean merge: a query and its rows. */
  merged?: [string, unknown[]];
}

const cases: SchemaMergeCase[] = [
  {
    name: 'a column dropped on one side and edited on the other is a schema conflict',
    main: ['ALTER TABLE t DROP COLUMN score'],
    feature: ['UPDATE t SET score = 21 WHERE id = 2'],
    conflicts: ['t schema/column-drop-edit'],
  },
  {
    name: 'a column dropped on one side merges with edits of other columns',
    main: ['ALTER TABLE t DROP COLUMN score'],
    feature: ["UPDATE t SET name = 'B' WHERE id = 2"],
    conflicts: [],
    merged: ['SELECT * FROM t WHERE id = 2', [{ id: 2, name: 'B' }]],
  },
  {
    name: 'a column retyped differently on both sides is a schema conflict',
    main: ['ALTER TABLE t ALTER COLUMN score TYPE VARCHAR'],
    feature: ['ALTER TABLE t ALTER COLUMN score TYPE DOUBLE'],
    conflicts: ['t schema/column-type'],
  },
  {
    name: 'the same retype on both sides merges the rows either side changed (base read converted)',
    main: ['ALTER TABLE t ALTER COLUMN score TYPE DOUBLE', "UPDATE t SET name = 'D' WHERE id = 4"],
    feature: ['ALTER TABLE t ALTER COLUMN score TYPE DOUBLE', 'UPDATE t SET score = 1.5 WHERE id = 1', 'DELETE FROM t WHERE id = 2'],
    conflicts: [],
    merged: ['SELECT id, name, score FROM t ORDER BY id', [{ id: 1, name: 'a', score: 1.5 }, { id: 3, name: 'c', score: 30 }, { id: 4, name: 'D', score: 40 }]],
  },
  {
    name: 'a retype on one side and edits of other columns on the other: ours\' rows are read converted to the new type',
    main: ["UPDATE t SET name = 'B' WHERE id = 2"],
    feature: ['ALTER TABLE t ALTER COLUMN score TYPE VARCHAR'],
    conflicts: [],
    merged: ['SELECT id, name, score FROM t WHERE id IN (1, 2) ORDER BY id', [{ id: 1, name: 'a', score: '10' }, { id: 2, name: 'B', score: '20' }]],
  },
  {
    name: 'a column renamed on one side and edited on the other merges by column id',
    main: ['ALTER TABLE t RENAME COLUMN score TO points'],
    feature: ['UPDATE t SET score = 33 WHERE id = 3'],
    conflicts: [],
    merged: ['SELECT id, points FROM t WHERE id IN (2, 3) ORDER BY id', [{ id: 2, points: 20 }, { id: 3, points: 33 }]],
  },
  {
    name: 'a table dropped on one side and changed on the other is a schema conflict',
    main: ['DROP TABLE t'],
    feature: ['DELETE FROM t WHERE id = 4'],
    conflicts: ['t schema/table-delete-update'],
  },
  {
    name: 'a primary-key change merges when the other side changed nothing in the table',
    main: ['ALTER TABLE t ADD PRIMARY KEY (name)'],
    feature: ["INSERT INTO b VALUES ('w', 9)"],
    conflicts: [],
    merged: ['SELECT count(*) AS n FROM b', [{ n: 5 }]],
  },
  {
    name: 'a primary-key change against a row edit on the other side is a schema conflict',
    main: ['ALTER TABLE t ADD PRIMARY KEY (name)'],
    feature: ['UPDATE t SET score = 0 WHERE id = 1'],
    conflicts: ['t schema/primary-key'],
  },
  {
    name: 'keyless: both sides changing one row count differently is a bag conflict',
    main: ["DELETE FROM b WHERE city = 'x'"],
    feature: ["INSERT INTO b VALUES ('x', 1)"],
    conflicts: ['b bag'],
  },
  {
    name: 'keyless: the same row inserted on both sides is one copy',
    main: ["INSERT INTO b VALUES ('v', 4)", "DELETE FROM b WHERE city = 'z'"],
    feature: ["INSERT INTO b VALUES ('v', 4)"],
    conflicts: [],
    merged: ["SELECT city, n FROM b ORDER BY city, n", [{ city: 'v', n: 4 }, { city: 'x', n: 1 }, { city: 'x', n: 1 }, { city: 'y', n: 2 }]],
  },
];

describe('merges of schema changes (both directions)', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const repository = await setup();
      await onBranch(repository, 'main', c.main);
      await onBranch(repository, 'feature', c.feature);
      const mainHead = (await repository.workingSet('main')).head!;
      const featureHead = (await repository.workingSet('feature')).head!;

      const forward = await mergeInto(repository, 'main', 'feature');
      expect(forward.conflicts).toEqual(c.conflicts);
      expect(forward.status).toBe(c.conflicts.length > 0 ? 'conflicts' : 'merged');
      const forwardRows = c.merged ? await query(repository, c.merged[0]) : undefined;
      if (c.merged) expect(forwardRows).toEqual(c.merged[1]);
      if (forward.status === 'conflicts') await abortMerge(repository);
      else await resetHard(repository, mainHead);

      const backward = await mergeInto(repository, 'feature', 'main');
      expect(backward.conflicts).toEqual(c.conflicts.map(swapped).sort());
      if (c.merged) expect(await query(repository, c.merged[0])).toEqual(forwardRows);
      if (backward.status === 'conflicts') await abortMerge(repository);
      else await resetHard(repository, featureHead);
    });
  }

  it('the same retype on both sides and different values in one cell: a cell conflict whose base is the converted value', async () => {
    const repository = await setup();
    await onBranch(repository, 'main', ['ALTER TABLE t ALTER COLUMN score TYPE DOUBLE', 'UPDATE t SET score = 2.5 WHERE id = 1']);
    await onBranch(repository, 'feature', ['ALTER TABLE t ALTER COLUMN score TYPE DOUBLE', 'UPDATE t SET score = 1.5 WHERE id = 1']);
    expect(await mergeInto(repository, 'main', 'feature')).toEqual({ status: 'conflicts', conflicts: ['t cell'] });
    const [conflict] = (await listConflicts(repository)).tables[0]!.conflicts as Array<Record<string, Record<string, unknown>>>;
    expect([conflict!['base']!['score'], conflict!['ours']!['score'], conflict!['theirs']!['score']]).toEqual([10, 2.5, 1.5]);
  });

  it('a drop-versus-edit conflict names the edited rows and resolves with --ours or --theirs', async () => {
    const repository = await setup();
    await onBranch(repository, 'main', ['ALTER TABLE t DROP COLUMN score']);
    await onBranch(repository, 'feature', ['UPDATE t SET score = 21 WHERE id = 2', "INSERT INTO t VALUES (9, 'i', 90)"]);
    await switchBranch(repository, 'main');
    expect((await merge(repository, 'feature')).status).toBe('conflicts');
    const conflict = (await listConflicts(repository)).tables[0]!.conflicts[0] as Record<string, unknown>;
    expect(conflict).toMatchObject({ kind: 'schema', reason: 'column-drop-edit', columns: ['score'], rows: [{ id: 2 }, { id: 9 }], row_count: 2 });
    // Each side's column: none on ours, which dropped it; theirs still has it.
    expect([conflict['base'], conflict['ours'], conflict['theirs']]).toEqual([
      { name: 'score', type: 'Int64', nullable: true },
      null,
      { name: 'score', type: 'Int64', nullable: true },
    ]);
    expect(String(conflict['message'])).toMatch(/"score" was dropped \(or retyped\) on ours and edited on theirs in 2 row\(s\): \{"id":2\}, \{"id":9\}/);
    // Theirs' whole table: ours' drop of the column is not in the result, and the resolution says so.
    const resolved = await resolveConflicts(repository, 't', { side: 'theirs' });
    expect(resolved).toMatchObject({ resolved: 1, remaining: 0, discarded: { side: 'ours', added: 0, deleted: 0, modified: 0, schemaChanged: true } });
    expect(await query(repository, 'SELECT id, score FROM t WHERE id IN (2, 9) ORDER BY id')).toEqual([
      { id: 2, score: 21 },
      { id: 9, score: 90 },
    ]);
    expect((await continueMerge(repository)).status).toBe('merged');
    expect(await query(repository, 'SELECT id, score FROM t WHERE id IN (2, 9) ORDER BY id')).toEqual([
      { id: 2, score: 21 },
      { id: 9, score: 90 },
    ]);
  });

  it('a bag conflict carries the three counts and resolves to theirs count with --theirs', async () => {
    const repository = await setup();
    await onBranch(repository, 'main', ["DELETE FROM b WHERE city = 'x'"]);
    await onBranch(repository, 'feature', ["INSERT INTO b VALUES ('x', 1)", "INSERT INTO b VALUES ('q', 0)"]);
    await switchBranch(repository, 'main');
    expect((await merge(repository, 'feature')).status).toBe('conflicts');
    const conflicts = (await listConflicts(repository)).tables[0]!.conflicts as Array<Record<string, unknown>>;
    expect(conflicts).toEqual([{ key: { city: 'x', n: 1 }, kind: 'bag', base: { city: 'x', n: 1 }, ours: null, theirs: { city: 'x', n: 1 }, columns: [], counts: { base: 2, ours: 0, theirs: 3 } }]);
    // The unrelated insert merged cleanly; x keeps ours' count until resolved.
    expect(await query(repository, "SELECT count(*) AS n FROM b WHERE city IN ('x', 'q')")).toEqual([{ n: 1 }]);
    await expect(resolveConflicts(repository, 'b', { file: '/nonexistent.csv' })).rejects.toThrow(/--ours or --theirs/);
    await resolveConflicts(repository, 'b', { side: 'theirs' });
    expect((await continueMerge(repository)).status).toBe('merged');
    expect(await query(repository, "SELECT count(*) AS n FROM b WHERE city = 'x'")).toEqual([{ n: 3 }]);
  });

  it('a schema conflict resolved with one side\'s whole table reports the other side\'s row changes it leaves out', async () => {
    const repository = await setup();
    await onBranch(repository, 'main', ['ALTER TABLE t DROP COLUMN score', "UPDATE t SET name = 'ours' WHERE id = 1"]);
    await onBranch(repository, 'feature', ['UPDATE t SET score = 21 WHERE id = 2', "UPDATE t SET name = 'theirs' WHERE id = 3", "INSERT INTO t VALUES (9, 'i', 90)", 'DELETE FROM t WHERE id = 4']);
    await switchBranch(repository, 'main');
    const oursHead = (await repository.branchHead('main'))!;
    expect((await merge(repository, 'feature')).status).toBe('conflicts');
    const resolved = await resolveConflicts(repository, 't', { side: 'ours' });
    const theirs = (await repository.branchHead('feature'))!;
    expect(resolved.discarded).toMatchObject({ side: 'theirs', commit: theirs, added: 1, deleted: 1, modified: 2, schemaChanged: false });
    expect((await repository.readCommit(theirs)).parents).toContain(resolved.discarded!.base);
    expect(oursHead).not.toBe(resolved.discarded!.base);
    expect(await query(repository, 'SELECT id, name FROM t ORDER BY id')).toEqual([
      { id: 1, name: 'ours' },
      { id: 2, name: 'b' },
      { id: 3, name: 'c' },
      { id: 4, name: 'd' },
    ]);
  });

  it('a schema conflict resolved with --ours keeps ours table as it was', async () => {
    const repository = await setup();
    await onBranch(repository, 'main', ['ALTER TABLE t ALTER COLUMN score TYPE VARCHAR']);
    await onBranch(repository, 'feature', ['ALTER TABLE t ALTER COLUMN score TYPE DOUBLE']);
    await switchBranch(repository, 'main');
    expect((await merge(repository, 'feature')).status).toBe('conflicts');
    await resolveConflicts(repository, 't', { side: 'ours' });
    expect((await continueMerge(repository)).status).toBe('merged');
    expect(await query(repository, 'SELECT score FROM t WHERE id = 1')).toEqual([{ score: '10' }]);
  });

  it('merging with uncommitted changes says what works, and never --discard', async () => {
    const repository = await setup();
    await onBranch(repository, 'feature', ['UPDATE t SET score = 1 WHERE id = 1']);
    await switchBranch(repository, 'main');
    await runSql(repository, 'UPDATE t SET score = 2 WHERE id = 2');
    const error = await merge(repository, 'feature').then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(/commit them .*or drop them \(`dgit reset --hard`\) before merging/);
    expect(error?.message).not.toMatch(/--discard/);
  });
});
