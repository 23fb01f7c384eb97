import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { importTable, type ImportOptions } from '../../../engine/commands/import.js';
import { DgitError } from '../../../engine/errors/index.js';
import { arrowToRows } from '../../../engine/store/parquet/chunk-codec.js';
import type { SortedSource } from '../../../engine/import/source.js';
import type { Repository } from '../../../engine/repository/repository.js';
import type { Row } from '../../../engine/value/value.js';
import { repositorySnapshot } from '../../support/cli.js';

/** The vega-datasets files the tests read. */
export const DATA = path.resolve('node_modules/vega-datasets/data');

/** A fresh directory for one test's fixtures, with a `tmp` directory inside for the import's temp files. */
export function makeDirs(): { dir: string; tempDir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dgit-formats-test-'));
  const tempDir = path.join(dir, 'tmp');
  mkdirSync(tempDir);
  return { dir, tempDir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** One import of a test's sequence. */
export type ImportStep = { file: string; options: ImportOptions };

/**
 * What one import did, for comparing two ways of importing the same file: its result
 * and the table's tree and schema, or its error, and then whether the repository was
 * left exactly as it was.
 */
export interface ImportOutcome {
  result?: unknown;
  tableTree?: string;
  schema?: unknown;
  error?: { code: string; message: string };
  unchanged?: boolean;
}

/** Run `step` in `repository` and say what it did (a DgitError is an outcome; any other error is thrown). */
export async function importOutcome(repository: Repository, step: ImportStep): Promise<ImportOutcome> {
  const before = repositorySnapshot(repository.dir);
  try {
    const result = await importTable(repository, step.file, step.options);
    const tree = (await repository.workingSet()).tree;
    const table = await repository.readTable(tree, step.options.table);
    return { result, tableTree: (await repository.tableTrees(tree)).get(step.options.table), schema: table?.schema };
  } catch (error) {
    if (!(error instanceof DgitError)) throw error;
    return { error: { code: error.code, message: error.message }, unchanged: repositorySnapshot(repository.dir) === before };
  }
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
