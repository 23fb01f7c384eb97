import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { schemaChangesToJson } from '../../formats/diff/json.js';
import { describe, expect, it } from 'vitest';
import { commit } from '../../engine/commands/commit.js';
import { importTable } from '../../engine/commands/import.js';
import { runSql } from '../../engine/commands/sql.js';
import { status } from '../../engine/commands/status.js';
import { Repository } from '../../engine/repository/repository.js';
import { DgitError } from '../../engine/errors/index.js';
import { repositorySnapshot, tempDir } from '../support/cli.js';

/** 3000 rows, so the table has several chunks whose ids a rename or an add must keep. */
const ROWS = 3000;

async function repositoryWithT(): Promise<{ repository: Repository; dir: string }> {
  const dir = tempDir('dgit-ddl-');
  const { repository } = await Repository.init(dir);
  const file = path.join(dir, '..', `${path.basename(dir)}-t.csv`);
  const lines = ['id,name,score,ratio'];
  for (let i = 1; i <= ROWS; i++) lines.push(`${i},n${i % 7},${i * 10},${i % 4 === 0 ? '0.5' : '2.0'}`);
  fs.writeFileSync(file, lines.join('\n') + '\n');
  await importTable(repository, file, { table: 't', key: ['id'] });
  fs.rmSync(file);
  await commit(repository, { message: 'base', author: { name: 'Test', email: 'test@example.com' } });
  return { repository, dir };
}

async function tableOf(repository: Repository, name: string) {
  return repository.readTable((await repository.workingSet()).tree, name);
}

async function rows(repository: Repository, query: string): Promise<Array<Record<string, unknown>>> {
  const result = await runSql(repository, query);
  if (result.kind !== 'rows') throw new Error('not a query');
  return result.rows;
}

interface DdlCase {
  name: string;
  statement: string;
  /** The table afterwards (undefined: gone). */
  table: string | undefined;
  columns?: Array<[string, string]>;
  key?: string[];
  /** Whether every chunk id of t must stay as it was (schema-only change). */
  chunksKept?: boolean;
  /** Column ids: which stay equal to t's before (by old name -> new name). */
  sameIds?: Array<[string, string]>;
  /** Columns whose id must change. */
  newIds?: string[];
  /** Expected `status` entries (table, status and schema JSON). */
  status: Array<Record<string, unknown>>;
  /** A query on the result and its rows. */
  query?: [string, Array<Record<string, unknown>>];
}

const cases: DdlCase[] = [
  {
    name: 'ADD COLUMN without a default keeps every chunk and reads null',
    statement: 'ALTER TABLE t ADD COLUMN note VARCHAR',
    table: 't',
    columns: [['id', 'Int64'], ['name', 'Utf8'], ['score', 'Int64'], ['ratio', 'Float64'], ['note', 'Utf8']],
    key: ['id'],
    chunksKept: true,
    sameIds: [['score', 'score']],
    status: [{ table: 't', status: 'modified', summary: { added: 0, deleted: 0, modified: 0 }, schema: { added: [{ name: 'note', type: 'Utf8' }], dropped: [], changed: [] } }],
    query: ['SELECT id, note FROM t WHERE id = 5', [{ id: 5, note: null }]],
  },
  {
    name: 'ADD COLUMN with a default fills every row (the bytes change)',
    statement: 'ALTER TABLE t ADD COLUMN flag INTEGER DEFAULT 7',
    table: 't',
    columns: [['id', 'Int64'], ['name', 'Utf8'], ['score', 'Int64'], ['ratio', 'Float64'], ['flag', 'Int32']],
    key: ['id'],
    chunksKept: false,
    status: [{ table: 't', status: 'modified', summary: { added: 0, deleted: 0, modified: ROWS }, schema: { added: [{ name: 'flag', type: 'Int32' }], dropped: [], changed: [] } }],
    query: ['SELECT count(*) AS n FROM t WHERE flag = 7', [{ n: ROWS }]],
  },
  {
    name: 'RENAME COLUMN keeps the id and every chunk; reads under the new name',
    statement: 'ALTER TABLE t RENAME COLUMN score TO points',
    table: 't',
    columns: [['id', 'Int64'], ['name', 'Utf8'], ['points', 'Int64'], ['ratio', 'Float64']],
    key: ['id'],
    chunksKept: true,
    sameIds: [['score', 'points']],
    status: [{ table: 't', status: 'modified', summary: { added: 0, deleted: 0, modified: 0 }, schema: { added: [], dropped: [], changed: [{ name: 'points', renamed_from: 'score' }] } }],
    query: ['SELECT points FROM t WHERE id = 12', [{ points: 120 }]],
  },
  {
    name: 'DROP COLUMN rewrites the chunks without it',
    statement: 'ALTER TABLE t DROP COLUMN ratio',
    table: 't',
    columns: [['id', 'Int64'], ['name', 'Utf8'], ['score', 'Int64']],
    key: ['id'],
    chunksKept: false,
    sameIds: [['score', 'score']],
    status: [{ table: 't', status: 'modified', summary: { added: 0, deleted: 0, modified: 0 }, schema: { added: [], dropped: [{ name: 'ratio', type: 'Float64' }], changed: [] } }],
    query: ['SELECT * FROM t WHERE id = 3', [{ id: 3, name: 'n3', score: 30 }]],
  },
  {
    name: 'ALTER COLUMN TYPE that converts every value losslessly gives a new id and no row change',
    statement: 'ALTER TABLE t ALTER COLUMN score TYPE VARCHAR',
    table: 't',
    columns: [['id', 'Int64'], ['name', 'Utf8'], ['score', 'Utf8'], ['ratio', 'Float64']],
    key: ['id'],
    chunksKept: false,
    newIds: ['score'],
    status: [{ table: 't', status: 'modified', summary: { added: 0, deleted: 0, modified: 0 }, schema: { added: [], dropped: [], changed: [{ name: 'score', type: { from: 'Int64', to: 'Utf8' } }] } }],
    query: ['SELECT score FROM t WHERE id = 4', [{ score: '40' }]],
  },
  {
    name: 'RENAME TO moves the table without touching its chunks',
    statement: 'ALTER TABLE t RENAME TO scores',
    table: 'scores',
    columns: [['id', 'Int64'], ['name', 'Utf8'], ['score', 'Int64'], ['ratio', 'Float64']],
    key: ['id'],
    chunksKept: true,
    status: [
      { table: 'scores', status: 'added', summary: { added: ROWS, deleted: 0, modified: 0 } },
      { table: 't', status: 'deleted', summary: { added: 0, deleted: ROWS, modified: 0 } },
    ],
  },
  {
    name: 'DROP TABLE removes the table',
    statement: 'DROP TABLE t',
    table: undefined,
    status: [{ table: 't', status: 'deleted', summary: { added: 0, deleted: ROWS, modified: 0 } }],
  },
  {
    name: 'ADD PRIMARY KEY changes the key when it is unique',
    statement: 'ALTER TABLE t ADD PRIMARY KEY (score)',
    table: 't',
    columns: [['id', 'Int64'], ['name', 'Utf8'], ['score', 'Int64'], ['ratio', 'Float64']],
    key: ['score'],
    chunksKept: false,
    sameIds: [['score', 'score'], ['id', 'id']],
    status: [{ table: 't', status: 'modified', summary: { added: 0, deleted: 0, modified: 0 }, schema: { added: [], dropped: [], changed: [{ name: 'score', nullable: { from: true, to: false } }], primary_key: { from: ['id'], to: ['score'] } } }],
  },
  {
    name: 'CREATE TABLE AS SELECT makes a keyless table of the query rows',
    statement: 'CREATE TABLE names AS SELECT name, count(*) AS n FROM t GROUP BY name ORDER BY name',
    table: 'names',
    columns: [['name', 'Utf8'], ['n', 'Int64']],
    key: [],
    status: [{ table: 'names', status: 'added', summary: { added: 7, deleted: 0, modified: 0 } }],
    query: ['SELECT n FROM names WHERE name = \'n0\'', [{ n: 428 }]],
  },
  {
    name: 'CREATE TABLE with a PRIMARY KEY makes an empty keyed table',
    statement: 'CREATE TABLE people (id INTEGER PRIMARY KEY, name VARCHAR NOT NULL, born DATE)',
    table: 'people',
    columns: [['id', 'Int32'], ['name', 'Utf8'], ['born', 'Date32']],
    key: ['id'],
    status: [{ table: 'people', status: 'added', summary: { added: 0, deleted: 0, modified: 0 } }],
  },
  {
    name: 'CREATE TABLE AS SELECT makes integers wider than Int64 Int64 when every value fits, as import does',
    statement: 'CREATE TABLE wide AS SELECT id::HUGEINT AS id, (score::DECIMAL(20,0)) AS score FROM t WHERE id <= 3',
    table: 'wide',
    columns: [['id', 'Int64'], ['score', 'Int64']],
    key: [],
    status: [{ table: 'wide', status: 'added', summary: { added: 3, deleted: 0, modified: 0 } }],
    query: ['SELECT sum(score) AS s FROM wide', [{ s: 60 }]],
  },
];

describe('DDL through dgit sql', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const { repository } = await repositoryWithT();
      const before = (await tableOf(repository, 't'))!;
      const result = await runSql(repository, c.statement);
      expect(result.kind).toBe('ddl');
      if (c.table === undefined) {
        expect(await tableOf(repository, 't')).toBeUndefined();
      } else {
        const after = (await tableOf(repository, c.table))!;
        expect(after.schema.columns.map((col) => [col.name, col.type])).toEqual(c.columns);
        expect(after.schema.primaryKey.map((id) => after.schema.columns.find((col) => col.id === id)!.name)).toEqual(c.key);
        if (c.chunksKept !== undefined) {
          const same = after.manifest.chunks.map((chunk) => chunk.id).join() === before.manifest.chunks.map((chunk) => chunk.id).join();
          expect(same).toBe(c.chunksKept);
          if (c.chunksKept) expect(before.manifest.chunks.length).toBeGreaterThan(1);
        }
        const idOf = (schema: typeof before.schema, name: string) => schema.columns.find((col) => col.name === name)!.id;
        for (const [oldName, newName] of c.sameIds ?? []) expect(idOf(after.schema, newName)).toBe(idOf(before.schema, oldName));
        for (const name of c.newIds ?? []) expect(idOf(after.schema, name)).not.toBe(idOf(before.schema, name));
      }
      const report = await status(repository);
      // The status JSON the CLI prints (the engine returns SchemaChanges; formats/ renders them).
      const tables = report.tables.map((t) => ({ ...t, schema: schemaChangesToJson(t.schema) }));
      expect(tables.map((t) => (t.status === 'modified' && 'added' in t.schema ? t : { table: t.table, status: t.status, summary: t.summary }))).toEqual(c.status);
      if (c.query) expect(await rows(repository, c.query[0])).toEqual(c.query[1]);
      // The result commits and reads back the same (the working set is a real tree).
      await commit(repository, { message: c.statement, author: { name: 'Test', email: 'test@example.com' } });
      if (c.query) expect(await rows(repository, c.query[0])).toEqual(c.query[1]);
    });
  }

  it('a renamed column is found in old chunks and new ones alike, and a later rewrite stores it under its new name', async () => {
    const { repository } = await repositoryWithT();
    await runSql(repository, 'ALTER TABLE t RENAME COLUMN score TO points');
    await runSql(repository, 'UPDATE t SET points = -1 WHERE id = 1');
    await runSql(repository, "INSERT INTO t VALUES (5000, 'new', 77, 1.0)");
    expect(await rows(repository, 'SELECT id, points FROM t WHERE id IN (1, 2, 5000) ORDER BY id')).toEqual([
      { id: 1, points: -1 },
      { id: 2, points: 20 },
      { id: 5000, points: 77 },
    ]);
    const renamed = (await tableOf(repository, 't'))!;
    expect(renamed.schema.columns.find((c) => c.name === 'points')!.stored).toBe('score');
    // A column added under the old name would clash with the stored name: the table is rewritten under current names.
    await runSql(repository, 'ALTER TABLE t ADD COLUMN score INTEGER');
    const rewritten = (await tableOf(repository, 't'))!;
    expect(rewritten.schema.columns.every((c) => c.stored === undefined)).toBe(true);
    expect(await rows(repository, 'SELECT id, points, score FROM t WHERE id IN (1, 2) ORDER BY id')).toEqual([
      { id: 1, points: -1, score: null },
      { id: 2, points: 20, score: null },
    ]);
  });

  // A rename drops one table tree and adds another in one transaction: every position among several tables, committed or staged.
  for (const committed of [true, false]) {
    for (const renamed of ['a', 'b', 'c']) {
      it(`RENAME TO moves ${renamed}'s tree among the tables a, b, c (${committed ? 'committed' : 'in the working set'})`, async () => {
        const dir = tempDir('dgit-ddl-rename-');
        const { repository } = await Repository.init(dir);
        const file = path.join(dir, '..', `${path.basename(dir)}-a.csv`);
        fs.writeFileSync(file, 'id,v\n1,x\n');
        for (const table of ['a', 'b', 'c']) await importTable(repository, file, { table, key: ['id'] });
        fs.rmSync(file);
        if (committed) await commit(repository, { message: 'base', author: { name: 'Test', email: 'test@example.com' } });
        const before = await repository.tableTrees((await repository.workingSet()).tree);
        await runSql(repository, `ALTER TABLE ${renamed} RENAME TO ${renamed}_new`);
        const after = await repository.tableTrees((await repository.workingSet()).tree);
        expect([...after.keys()].sort()).toEqual(['a', 'b', 'c'].map((t) => (t === renamed ? `${t}_new` : t)));
        expect(after.get(`${renamed}_new`)).toBe(before.get(renamed));
        const report = await status(repository);
        expect(report.tables.map((t) => [t.table, t.status])).toEqual(
          committed ? [[renamed, 'deleted'], [`${renamed}_new`, 'added']] : ['a', 'b', 'c'].map((t) => [t === renamed ? `${t}_new` : t, 'added']).sort(),
        );
        await commit(repository, { message: 'rename', author: { name: 'Test', email: 'test@example.com' } });
        expect(await rows(repository, `SELECT * FROM ${renamed}_new`)).toEqual([{ id: 1, v: 'x' }]);
        execFileSync('git', ['fsck', '--strict', '--no-dangling'], { cwd: dir, stdio: 'pipe' });
      });
    }
  }

  it('a table created in the working set and never committed can be dropped', async () => {
    const { repository } = await repositoryWithT();
    await runSql(repository, 'CREATE TABLE scratch (a INTEGER)');
    expect(await tableOf(repository, 'scratch')).toBeDefined();
    await runSql(repository, 'DROP TABLE scratch');
    expect(await tableOf(repository, 'scratch')).toBeUndefined();
    expect((await status(repository)).clean).toBe(true);
  });

  it('a retype that loses a value is refused naming the first bad row', async () => {
    const { repository, dir } = await repositoryWithT();
    const snapshot = repositorySnapshot(dir);
    await expect(runSql(repository, 'ALTER TABLE t ALTER COLUMN ratio TYPE INTEGER')).rejects.toThrow(/ratio.*Float64 -> Int32.*id="1".*"2\.0"|ratio.*Float64 -> Int32.*id="4".*"0\.5"/);
    await expect(runSql(repository, 'ALTER TABLE t ALTER COLUMN name TYPE INTEGER')).rejects.toThrow(/name.*Utf8 -> Int32.*id="1".*"n1"/);
    expect(repositorySnapshot(dir)).toBe(snapshot);
  });

  it('a primary key that is not unique is refused listing the duplicate keys', async () => {
    const { repository, dir } = await repositoryWithT();
    const snapshot = repositorySnapshot(dir);
    await expect(runSql(repository, 'ALTER TABLE t ADD PRIMARY KEY (name)')).rejects.toThrow(/not unique: \(name="n0"\) 428 times; \(name="n1"\) 429 times/);
    expect(repositorySnapshot(dir)).toBe(snapshot);
  });

  const badStatements: Array<[string, RegExp]> = [
    ['ALTER TABLE missing ADD COLUMN x INTEGER', /missing/i],
    ['ALTER TABLE t DROP COLUMN id', /part of the primary key/],
    ['ALTER TABLE t ADD COLUMN d DECIMAL(10,2)', /DECIMAL\(10,2\).*dgit does not store/],
    ['CREATE VIEW v AS SELECT * FROM t', /changed no table/],
    ['CREATE TABLE w AS SELECT id, CASE WHEN id = 2 THEN 170141183460469231731687303715884105727 ELSE id END::HUGEINT AS x FROM t', /column "x" of w: value "170141183460469231731687303715884105727" does not fit type Int64/],
    // A decimal becomes a Float64 as import makes it: only where the double holds it exactly.
    ["CREATE TABLE d AS SELECT id, CASE WHEN id = 3 THEN '0.1234567890123456789' ELSE '0.25' END::DECIMAL(38,19) AS x FROM t", /column "x" of d: value "0\.1234567890123456789" does not fit type Float64/],
    ['ALTER TABLE t ALTER COLUMN name SET DEFAULT \'x\'', /changed no table/],
    ['CREATE TABLE "../evil" (a INTEGER)', /table name/i],
    ['ALTER TABLE t ADD COLUMN name VARCHAR', /already exists/i],
    // Tables are DuckDB views in the session: the message names a table, not a view.
    ['CREATE TABLE t (a INTEGER)', /^table "t" already exists$/],
    ['DROP TABLE t; DROP TABLE t', /exactly one statement/],
  ];
  for (const [statement, message] of badStatements) {
    it(`bad input leaves the repository byte-identical: ${statement}`, async () => {
      const { repository, dir } = await repositoryWithT();
      const snapshot = repositorySnapshot(dir);
      const error = await runSql(repository, statement).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(DgitError);
      expect(String((error as Error).message)).toMatch(message);
      expect(repositorySnapshot(dir)).toBe(snapshot);
    });
  }

  it('DDL cannot run at --rev', async () => {
    const { repository } = await repositoryWithT();
    await expect(runSql(repository, 'DROP TABLE t', { rev: 'HEAD' })).rejects.toThrow(/--rev/);
  });
});
