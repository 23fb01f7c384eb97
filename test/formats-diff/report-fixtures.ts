import { Writable } from 'node:stream';
import { diffTables, type TableDiff } from '../../engine/diff/index.js';
import type { TableSchema } from '../../engine/schema/schema.js';
import type { Row } from '../../engine/value/value.js';
import type { DiffReport } from '../../formats/diff/index.js';
import { addColumn, makeTable, MemoryChunkStore, schemaOf } from '../diff/in-memory-table.js';

export const flights = schemaOf(
  [
    ['id', 'Int32'],
    ['x', 'Int32'],
  ],
  ['id'],
);

/** The diff of CLI.md's example: row 7 modified, 9 added, 3 deleted, column c added. */
export async function exampleDiff(): Promise<TableDiff> {
  const store = new MemoryChunkStore();
  const withC = addColumn(flights, 'c', 'Int64');
  const from = makeTable(store, flights, [
    [3, 0],
    [5, 1],
    [7, 1],
  ]);
  const to = makeTable(store, withC, [
    [5, 1, null],
    [7, 2, null],
    [9, 5, null],
  ]);
  return diffTables(from, to, store, { pairKeyChanges: false });
}

export async function diffOf(schema: TableSchema, before: Row[], after: Row[], chunkRows = 100): Promise<TableDiff> {
  const store = new MemoryChunkStore();
  return diffTables(makeTable(store, schema, before, chunkRows), makeTable(store, schema, after, chunkRows), store);
}

export function report(tables: Array<[string, TableDiff]>, from = 'a1', to = 'b2'): DiffReport {
  return { from, to, tables: tables.map(([table, diff]) => ({ table, diff })) };
}

/** A Writable that keeps what it receives, acknowledging each write asynchronously so backpressure is real. */
export class CollectingStream extends Writable {
  readonly chunks: string[] = [];

  constructor(highWaterMark = 16 * 1024) {
    super({ highWaterMark, decodeStrings: false });
  }

  override _write(chunk: string | Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.chunks.push(chunk.toString());
    setImmediate(callback);
  }

  get text(): string {
    return this.chunks.join('');
  }
}

export const HOSTILE = [
  'a | b',
  '`code` ``` fence',
  '<script>alert(1)</script>',
  '<!-- hidden -->',
  '@everyone and @octo-org/team',
  'fixes #123 and GH-45 and o/r#9',
  '[click](https://evil.example/x) ![img](http://e/i.png)',
  'www.evil.example and https://github.com/o/r/issues/1',
  '**bold** _it_ ~~gone~~ $x^2$',
  'line1\nline2\r\n| --- |',
  'esc \u001b[31mred\u001b[0m bidi \u202Eevil',
  '&#64;everyone &lt;b&gt;',
  'deadbeef1234567 commit',
];
