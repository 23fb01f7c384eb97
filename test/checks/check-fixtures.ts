import fs from 'node:fs';
import path from 'node:path';
import { commit } from '../../engine/commands/commit.js';
import { importTable, type ImportMode } from '../../engine/commands/import.js';
import { writeConfig } from '../../engine/config/repository-config.js';
import { Repository } from '../../engine/repository/repository.js';
import { tempDir } from '../support/cli.js';

/** A table to load: rows as JSON objects (written as NDJSON), its key, and how to load them. */
export interface TableRows {
  rows: Array<Record<string, unknown>>;
  key?: string[];
  mode?: ImportMode;
  /** CSV lets DuckDB detect dates and timestamps; NDJSON keeps JSON's types (the default). */
  format?: 'ndjson' | 'csv';
}

function csvText(rows: Array<Record<string, unknown>>): string {
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const cell = (value: unknown) => (value === null || value === undefined ? '' : /[",\n]/.test(String(value)) ? `"${String(value).replaceAll('"', '""')}"` : String(value));
  return [columns.join(','), ...rows.map((row) => columns.map((c) => cell(row[c])).join(','))].join('\n') + '\n';
}

/** A new dgit repository in a temporary folder, through the library (no process per step). */
export async function newRepository(): Promise<{ repository: Repository; dir: string }> {
  const dir = tempDir('dgit-checks-');
  const { repository } = await Repository.init(dir);
  return { repository, dir };
}

/** Load rows into the working set, one import per table. */
export async function load(repository: Repository, tables: Record<string, TableRows>): Promise<void> {
  for (const [table, spec] of Object.entries(tables)) {
    const format = spec.format ?? 'ndjson';
    const file = path.join(repository.gitdir, `..`, `.load-${table}-${Date.now()}-${Math.random().toString(16).slice(2)}.${format}`);
    fs.writeFileSync(file, format === 'csv' ? csvText(spec.rows) : spec.rows.map((row) => JSON.stringify(row)).join('\n') + '\n');
    try {
      await importTable(repository, file, { table, key: spec.key, mode: spec.mode, format });
    } finally {
      fs.rmSync(file, { force: true });
    }
  }
}

/** Load tables, optionally store dgit.yml, and commit; returns the commit id. */
export async function commitTables(repository: Repository, message: string, tables: Record<string, TableRows>, config?: string): Promise<string> {
  await load(repository, tables);
  if (config !== undefined) await writeConfig(repository, config);
  return (await commit(repository, { message })).commit;
}

/** dgit.yml text from lines, so tests read like the file. */
export function yaml(...lines: string[]): string {
  return lines.join('\n') + '\n';
}
