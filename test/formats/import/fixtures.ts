import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { arrowToRows } from '../../../engine/store/parquet/chunk-codec.js';
import type { SortedSource } from '../../../engine/import/source.js';
import type { Row } from '../../../engine/value/value.js';

/** The vega-datasets files the tests read. */
export const DATA = path.resolve('node_modules/vega-datasets/data');

/** A fresh directory for one test's fixtures, with a `tmp` directory inside for the import's temp files. */
export function makeDirs(): { dir: string; tempDir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dgit-formats-test-'));
  const tempDir = path.join(dir, 'tmp');
  mkdirSync(tempDir);
  return { dir, tempDir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes a fixture file and returns its path. */
export function fixture(dir: string, name: string, content: string | Uint8Array): string {
  const file = path.join(dir, name);
  writeFileSync(file, content);
  return file;
}

/** All rows of a sorted source, in order, as dgit values. */
export async function readRows(source: SortedSource): Promise<Row[]> {
  const columns = source.columns.map((column, index) => ({ id: index + 1, ...column }));
  const rows: Row[] = [];
  for await (const table of source.batches()) rows.push(...arrowToRows(table, columns));
  return rows;
}

/** The names of the entries in a directory (empty when every temp file was removed). */
export function entries(dir: string): string[] {
  return readdirSync(dir);
}
