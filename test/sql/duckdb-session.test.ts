import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { InvalidInputError, UsageError } from '../../engine/errors/index.js';
import type { Column } from '../../engine/schema/schema.js';
import { createTableView, DuckDbSession, duckdbTypeOf } from '../../engine/sql/duckdb-session.js';
import { quoteIdentifier } from '../../engine/sql/sql-text.js';
import { encodeChunk, rowsToArrow } from '../../engine/store/parquet/chunk-codec.js';
import type { Row } from '../../engine/value/value.js';

let dir: string;
let session: DuckDbSession;
beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'dgit-sql-session-'));
  session = await DuckDbSession.create({ tempDir: dir });
});
afterEach(async () => {
  await session.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A dgit chunk file of `rows`, written the way the engine writes chunks. */
function chunk(name: string, columns: Column[], rows: Row[]): string {
  const file = path.join(dir, name);
  writeFileSync(file, encodeChunk(rowsToArrow(columns, rows), columns));
  return file;
}

const id: Column = { id: 1, name: 'id', type: 'Int64', nullable: false };
const odd: Column = { id: 2, name: 'the "odd" name, ünïcode', type: 'Utf8', nullable: true };
const added: Column = { id: 3, name: 'added later', type: 'Timestamp<ms>', nullable: true };

describe('DuckDbSession settings', () => {
  // Without the allocator's background threads, pages freed by a CSV's type detection stayed
  // resident under the table loaded next: a 10M-row import overshot its memory bound by 40%.
  test('the allocator purges freed memory in the background, so a memory_limit bounds the process', async () => {
    expect(await session.rows(`SELECT current_setting('allocator_background_threads') AS on`)).toEqual([{ on: true }]);
  });
});

describe('createTableView', () => {
  test('a chunk written before a column was added reads null for it, in file order', async () => {
    const old = chunk('a.parquet', [id, odd], [
      [1n, 'x'],
      [2n, null],
    ]);
    const recent = chunk('b.parquet', [id, odd, added], [[3n, 'z', 1_600_000_000_123n]]);
    await createTableView(session, 'my table', { columns: [id, odd, added], files: [old, recent] });
    const rows = await session.rows(`SELECT id, ${quoteIdentifier(odd.name)} AS name, epoch_ms(${quoteIdentifier(added.name)}) AS ms FROM "my table"`);
    expect(rows).toEqual([
      { id: 1n, name: 'x', ms: null },
      { id: 2n, name: null, ms: null },
      { id: 3n, name: 'z', ms: 1_600_000_000_123n },
    ]);
  });

  test('columns come in schema order with their DuckDB types, even when no file has one of them', async () => {
    const file = chunk('a.parquet', [odd, id], [['x', 1n]]);
    await createTableView(session, 't', { columns: [id, odd, added], files: [file] });
    const described = await session.describe('SELECT * FROM t');
    expect(described).toEqual([
      { name: 'id', type: 'BIGINT' },
      { name: odd.name, type: 'VARCHAR' },
      { name: 'added later', type: 'TIMESTAMP_MS' },
    ]);
  });

  test('with no files the view is empty and still typed', async () => {
    await createTableView(session, 'empty', { columns: [id, odd], files: [] });
    expect(await session.rows('SELECT count(*) AS n FROM empty')).toEqual([{ n: 0n }]);
    expect((await session.describe('SELECT * FROM empty')).map((c) => c.type)).toEqual(['BIGINT', 'VARCHAR']);
  });

  test('files keep the order given, so a view over chunks in key order is in key order', async () => {
    const files = [3, 1, 2].map((n) => chunk(`c${n}.parquet`, [id], [[BigInt(n)]]));
    await createTableView(session, 't', { columns: [id], files });
    expect((await session.rows('SELECT id FROM t')).map((r) => r['id'])).toEqual([3n, 1n, 2n]);
  });
});

describe('DuckDbSession', () => {
  test('DuckDB errors become InvalidInputError with DuckDB\'s text', async () => {
    await expect(session.rows('SELECT * FROM no_such_table')).rejects.toThrow(InvalidInputError);
    await expect(session.rows('SELECT * FROM no_such_table')).rejects.toThrow(/no_such_table/);
  });

  test('close removes the session directory and is safe to repeat', async () => {
    const other = await DuckDbSession.create({ tempDir: dir });
    await other.close();
    await other.close();
    await expect(other.rows('SELECT 1')).rejects.toThrow(UsageError);
  });

  test('a restricted session reads its views but no other file, and cannot be unlocked', async () => {
    const restricted = await DuckDbSession.create({ tempDir: dir, allowExternalAccess: false });
    try {
      const file = chunk('a.parquet', [id], [[7n]]);
      const secret = path.join(dir, 'secret.csv');
      writeFileSync(secret, 'a\n1\n');
      await createTableView(restricted, 't', { columns: [id], files: [file] });
      expect(await restricted.rows('SELECT id FROM t')).toEqual([{ id: 7n }]);
      await expect(restricted.rows(`SELECT * FROM read_csv('${secret}')`)).rejects.toThrow(/disabled by configuration/);
      await expect(restricted.run(`SET enable_external_access = true`)).rejects.toThrow(InvalidInputError);
      await expect(restricted.run(`COPY (SELECT 1) TO '${path.join(dir, 'out.csv')}'`)).rejects.toThrow(/disabled by configuration/);
      await expect(createTableView(restricted, 'u', { columns: [id], files: [file] })).rejects.toThrow(UsageError);
    } finally {
      await restricted.close();
    }
  });

  test('timestamps with time zone read and print in UTC', async () => {
    expect(await session.rows(`SELECT CAST(TIMESTAMPTZ '2020-01-01 02:00:00+02' AS VARCHAR) AS t`)).toEqual([{ t: '2020-01-01 00:00:00+00' }]);
  });
});

test('duckdbTypeOf names DuckDB types', () => {
  expect(duckdbTypeOf('UInt16')).toBe('USMALLINT');
  expect(duckdbTypeOf('Timestamp<s>')).toBe('TIMESTAMP_S');
  expect(duckdbTypeOf('Timestamp<ns, UTC>')).toBe('TIMESTAMPTZ');
  expect(duckdbTypeOf('Date32')).toBe('DATE');
});
