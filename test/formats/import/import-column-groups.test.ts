import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { importTable } from '../../../engine/commands/import.js';
import { importReadCounts } from '../../../engine/import/source.js';
import { Repository } from '../../../engine/repository/repository.js';
import { tableFiles } from '../../../engine/chunkstore/table-files.js';
import { exportTable } from '../../../engine/commands/export.js';
import { DgitError } from '../../../engine/errors/index.js';
import { DEFAULT_CHUNKING, defaultChunking } from '../../../engine/schema/schema.js';
import { wideTableError } from '../../../engine/sql/wide-table-limit.js';
import { duck } from '../../support/duckdb.js';
import { repositorySnapshot } from '../../support/cli.js';
import { importOutcome, makeDirs, type ImportOutcome, type ImportStep as Step } from './fixtures.js';

/**
 * A source too wide for one DuckDB table is loaded, checked, sorted and staged by
 * groups of columns (engine/import/column-groups.ts). Every input here is imported
 * both ways in fresh repositories, the grouped way with two columns a group
 * (DGIT_IMPORT_COLUMN_GROUP=2), and the table trees (hence every chunk and the
 * schema), the import results and the errors must be equal.
 */

let dirs: ReturnType<typeof makeDirs>;
beforeEach(() => {
  dirs = makeDirs();
});
afterEach(() => dirs.cleanup());

let repoCount = 0;

/** Runs `setup` in one table, then `step` grouped or not, in a fresh repository. */
async function importOneWay(setup: readonly Step[], step: Step, grouped: boolean): Promise<ImportOutcome & { groupedRead: boolean }> {
  const dir = path.join(dirs.dir, `repo-${repoCount++}`);
  const { repository } = await Repository.init(dir);
  for (const { file, options } of setup) await importTable(repository, file, options);
  // Both ways through DuckDB: small Parquet files would otherwise skip it (fast-source.ts).
  vi.stubEnv('DGIT_IMPORT_FASTPATH', '0');
  if (grouped) vi.stubEnv('DGIT_IMPORT_COLUMN_GROUP', '2');
  const before = importReadCounts.columnGroups;
  let outcome: ImportOutcome;
  try {
    outcome = await importOutcome(repository, step);
  } finally {
    vi.unstubAllEnvs();
  }
  return { ...outcome, groupedRead: importReadCounts.columnGroups > before };
}

/** Imports both ways; expects equal outcomes (and the grouped way to have taken the column groups). */
async function expectSameBothWays(step: Step, setup: readonly Step[] = []): Promise<ImportOutcome> {
  const { groupedRead: oneTableGrouped, ...oneTable } = await importOneWay(setup, step, false);
  const { groupedRead, ...grouped } = await importOneWay(setup, step, true);
  expect(oneTableGrouped).toBe(false);
  expect(groupedRead).toBe(true);
  expect(JSON.stringify(grouped, null, 1)).toBe(JSON.stringify(oneTable, null, 1));
  return grouped;
}

function csv(name: string, text: string): string {
  const file = path.join(dirs.dir, name);
  writeFileSync(file, text);
  return file;
}

async function parquetOf(name: string, select: string): Promise<string> {
  const file = path.join(dirs.dir, name);
  await duck(`COPY (${select}) TO '${file}' (FORMAT parquet)`);
  return file;
}

describe('import by column groups: the same table as one DuckDB table gives', () => {
  test('CSV with detected day-first dates and timestamps, CRLF, a quoted line break and nulls, keyed', async () => {
    const file = csv(
      'dates.csv',
      'id,day,at,note,n,x,flag\r\n' +
        '3,25/12/2020,25/12/2020 10:11:12,"two\r\nlines",1.5,7,true\r\n' +
        '1,01/02/2021,01/02/2021 00:00:00,,2.25,,false\r\n' +
        '2,,,"",,9,\r\n',
    );
    const outcome = await expectSameBothWays({ file, options: { table: 't', key: ['id'] } });
    expect(outcome.result).toMatchObject({ inserted: 3, created: true });
  });

  test('a keyless table sorts by every column, across groups: rows equal in the first groups are ordered by the later ones', async () => {
    const lines = ['a,b,c,d,e'];
    for (let i = 0; i < 60; i++) lines.push(`${i % 3},x${i % 2},${(i * 7) % 5},${i % 4 === 0 ? '' : `v${(i * 13) % 9}`},${i % 6}`);
    lines.push('0,x0,0,,0', '0,x0,0,,0'); // a duplicate row, kept twice
    await expectSameBothWays({ file: csv('bag.csv', `${lines.join('\n')}\n`), options: { table: 'bag' } });
  });

  test('Parquet of many types with a composite key wider than a group', async () => {
    const file = await parquetOf(
      'types.parquet',
      `SELECT i % 5 AS k1, i // 5 AS k2, 'k' || (i % 2) AS k3, i::DOUBLE / 3 AS d, DATE '2024-01-01' + i::INTEGER AS day,
              TIMESTAMP '2024-01-01 00:00:00' + to_seconds(i) AS ts, CASE WHEN i % 4 = 0 THEN NULL ELSE 'v' || i END AS v,
              i % 2 = 0 AS b, i::SMALLINT AS s
       FROM range(40) t(i)`,
    );
    await expectSameBothWays({ file, options: { table: 't', key: ['k1', 'k2', 'k3'] } });
  });

  test('an upsert into an existing table: casts, a new column, a missing one', async () => {
    const base = csv('base.csv', 'id,amount,city,code\n1,10,Oslo,007\n2,20,Rome,042\n3,30,Nice,100\n');
    const setup = [{ file: base, options: { table: 't', key: ['id'] } }];
    const upsert = csv('up.csv', 'code,id,amount,extra\n008,2,21,e\n009,4,40,\n');
    const outcome = await expectSameBothWays({ file: upsert, options: { table: 't', mode: 'upsert' } }, setup);
    expect(outcome.result).toMatchObject({ inserted: 1, updated: 1, addedColumns: ['extra'] });
  });
});

describe('import by column groups: the same errors, and the repository untouched', () => {
  const expectRefused = async (step: Step, setup: readonly Step[], pattern: RegExp) => {
    const outcome = await expectSameBothWays(step, setup);
    expect(outcome.error?.message).toMatch(pattern);
    expect(outcome.unchanged).toBe(true);
  };

  test('a value that does not fit its column, in a late group, at the first bad line of any group', async () => {
    const setup = [{ file: csv('base.csv', 'id,a,b,c,d\n1,1,1,1,1\n'), options: { table: 't', key: ['id'] } }];
    await expectRefused({ file: csv('bad.csv', 'id,a,b,c,d\n1,1,1,1,1\n2,1,1,1,1.5\n3,x,1,1,1\n'), options: { table: 't', mode: 'upsert' } }, setup, /bad\.csv:3: value "1\.5" in column "d" does not fit type Int64/);
  });

  test('a null key, and a repeated composite key', async () => {
    await expectRefused({ file: csv('nullkey.csv', 'a,b,k\n1,2,x\n3,4,\n'), options: { table: 't', key: ['k'] } }, [], /nullkey\.csv:3: key column "k" is empty/);
    await expectRefused({ file: csv('dup.csv', 'a,b,c,k1,k2\n1,2,3,x,1\n1,2,3,y,1\n1,2,3,x,1\n'), options: { table: 't', key: ['k1', 'k2'] } }, [], /dup\.csv:4: duplicate primary key \(k1="x", k2=1\), first at line 2/);
  });

  test('an integer a double would round, in a late group, and a ragged row', async () => {
    await expectRefused({ file: csv('big.csv', 'id,a,b,c\n1,1,2,5\n2,1,2,123456789012345678901\n'), options: { table: 't', key: ['id'] } }, [], /big\.csv:3: value 123456789012345678901 in column "c"/);
    await expectRefused({ file: csv('ragged.csv', 'id,a,b,c\n1,1,2,3\n2,1,2\n'), options: { table: 't', key: ['id'] } }, [], /ragged\.csv:3/);
  });
});

describe('wide tables', () => {
  test('a 300-column CSV imports by column groups under the smallest memory setting (204 columns a group), and DuckDB reads the chunks back as the file', async () => {
    // DGIT_IMPORT_MEMORY_MB=428 leaves DuckDB 128 MiB: 204 columns a load, so 300 columns take two.
    vi.stubEnv('DGIT_IMPORT_MEMORY_MB', '428');
    const columns = Array.from({ length: 299 }, (_, c) => (c % 3 === 0 ? `(i * ${c + 1}) % 97 AS c${c}` : c % 3 === 1 ? `(i + ${c}) / 8 AS c${c}` : `'s' || ((i * ${c}) % 11) AS c${c}`));
    const file = path.join(dirs.dir, 'wide.csv');
    await duck(`COPY (SELECT i AS id, ${columns.join(', ')} FROM range(300) t(i) ORDER BY hash(i)) TO '${file}' (FORMAT csv, HEADER true)`);
    const dir = path.join(dirs.dir, 'wide-repo');
    const { repository } = await Repository.init(dir);
    const before = importReadCounts.columnGroups;
    const result = await importTable(repository, file, { table: 'wide', key: ['id'] });
    expect(importReadCounts.columnGroups).toBe(before + 1);
    expect(result).toMatchObject({ inserted: 300, rows: 300 });
    const chunks = (await tableFiles(repository, 'wide')).files;
    expect(chunks.length).toBeGreaterThan(0);
    const list = `[${chunks.map((chunk) => `'${chunk}'`).join(', ')}]`;
    const differ = await duck(
      `SELECT count(*) AS n FROM (SELECT * FROM read_csv('${file}') EXCEPT ALL SELECT * FROM read_parquet(${list}, union_by_name = true)
       UNION ALL SELECT * FROM read_parquet(${list}, union_by_name = true) EXCEPT ALL SELECT * FROM read_csv('${file}'))`,
    );
    expect(Number(differ[0]!['n'])).toBe(0);
    // Exported by groups of 128 columns zipped back (export-table.ts): the same rows as the file, in key order.
    const exported = path.join(dirs.dir, 'exported.csv');
    expect(await exportTable(repository, 'wide', { output: exported })).toEqual({ table: 'wide', rows: 300 });
    const exportDiffers = await duck(
      `SELECT count(*) AS n FROM (SELECT * FROM read_csv('${file}') EXCEPT ALL SELECT * FROM read_csv('${exported}')
       UNION ALL SELECT * FROM read_csv('${exported}') EXCEPT ALL SELECT * FROM read_csv('${file}'))`,
    );
    expect(Number(exportDiffers[0]!['n'])).toBe(0);
    const ids = await duck(`SELECT list(id) = list_sort(list(id)) AS sorted FROM read_csv('${exported}')`);
    expect(ids[0]!['sorted']).toBe(true);
    // Wide chunks are written LZ4_RAW, integers PLAIN (see chunk-parquet.ts); DuckDB read them above.
    const meta = await duck(`SELECT DISTINCT compression, encodings FROM parquet_metadata('${chunks[0]}') WHERE path_in_schema = 'c0'`);
    expect(meta).toEqual([{ compression: 'LZ4_RAW', encodings: expect.stringContaining('PLAIN') }]);
    expect(meta[0]!['encodings']).not.toMatch(/DELTA/);
  });

  test('a narrow chunk keeps ZSTD and DELTA_BINARY_PACKED', async () => {
    const dir = path.join(dirs.dir, 'narrow-repo');
    const { repository } = await Repository.init(dir);
    await importTable(repository, csv('n.csv', 'id,v\n1,a\n2,b\n'), { table: 'n', key: ['id'] });
    const [chunk] = (await tableFiles(repository, 'n')).files;
    const meta = await duck(`SELECT compression, encodings FROM parquet_metadata('${chunk}') WHERE path_in_schema = 'id'`);
    expect(meta).toEqual([{ compression: 'ZSTD', encodings: expect.stringContaining('DELTA_BINARY_PACKED') }]);
  });

  test('a new wide table is cut into chunks of fewer rows, by a power of two, never below 64', () => {
    expect(defaultChunking(6)).toEqual(DEFAULT_CHUNKING);
    expect(defaultChunking(256)).toEqual(DEFAULT_CHUNKING);
    expect(defaultChunking(768)).toEqual(DEFAULT_CHUNKING);
    expect(defaultChunking(3000)).toEqual({ ...DEFAULT_CHUNKING, minRows: 256, targetRows: 1024, maxRows: 6144 });
    expect(defaultChunking(1_000_000)).toMatchObject({ minRows: 16, targetRows: 64, maxRows: 384 });
  });
});

describe('DuckDB running out of memory on a wide table', () => {
  test('is said as what it is for a wide table, and passed on unchanged otherwise', () => {
    const outOfMemory = new Error('Out of Memory Error: failed to allocate data of size 16.0 KiB (953.6 MiB/953.6 MiB used)');
    const said = wideTableError(outOfMemory, 3000, 'dgit export to parquet');
    expect(said).toBeInstanceOf(DgitError);
    expect((said as DgitError).code).toBe('UNSUPPORTED');
    expect((said as DgitError).message).toMatch(/^dgit export to parquet of a table of 3000 columns ran out of memory in DuckDB, which needs about 0\.5 MiB per column \(1500 MiB here\)/);
    expect(wideTableError(outOfMemory, 200, 'dgit export')).toBe(outOfMemory);
    const other = new Error('Binder Error: no such column');
    expect(wideTableError(other, 3000, 'dgit export')).toBe(other);
  });
});

describe('DGIT_IMPORT_COLUMN_GROUP', () => {
  test('a value that is not a whole number of columns is a usage error, and the repository is left as it was', async () => {
    const dir = path.join(dirs.dir, 'setting-repo');
    const { repository } = await Repository.init(dir);
    const file = csv('s.csv', 'id,a\n1,2\n');
    for (const setting of ['0', '2.5', 'many']) {
      vi.stubEnv('DGIT_IMPORT_COLUMN_GROUP', setting);
      const before = repositorySnapshot(dir);
      await expect(importTable(repository, file, { table: 't', key: ['id'] })).rejects.toMatchObject({ code: 'USAGE', message: expect.stringMatching(/DGIT_IMPORT_COLUMN_GROUP must be a whole number of columns/) });
      expect(repositorySnapshot(dir)).toBe(before);
    }
  });
});
