import fs from 'node:fs';
import path from 'node:path';
import { commit } from '../../../engine/commands/commit.js';
import { importTable, type ImportMode } from '../../../engine/commands/import.js';
import { writeConfig } from '../../../engine/config/index.js';
import { Repository } from '../../../engine/repository/repository.js';
import { DATA, dgit, tempDir, writeFile, type RunResult } from '../../support/cli.js';

/**
 * Repositories of real messy rows for the healer's tests: penguins (nulls in Sex
 * and in the measurements, a "." where a sex should be) and movies (titles that
 * are numbers, nulls, remakes sharing a title), given an `id` key (their row
 * number) and imported with the CLI. Each is built once and copied per test.
 */

type Row = Record<string, unknown>;
export const penguins = (JSON.parse(fs.readFileSync(path.join(DATA, 'penguins.json'), 'utf8')) as Row[]).map((row, index): Row & { id: number } => ({ id: index + 1, ...row }));
export const movies = (JSON.parse(fs.readFileSync(path.join(DATA, 'movies.json'), 'utf8')) as Row[]).map((row, index): Row & { id: number } => ({ id: index + 1, ...row }));

export function ndjson(rows: Row[]): string {
  return rows.map((row) => JSON.stringify(row)).join('\n') + '\n';
}

const templates = new Map<string, string>();

/** A fresh copy of a repository with `table` imported (by the CLI) from `rows` and committed, keyed by id unless `keyless`. */
export function repositoryWith(table: string, rows: Row[], options: { keyless?: boolean } = {}): string {
  const name = `${table}:${rows.length}:${options.keyless ? 'bag' : 'id'}`;
  let template = templates.get(name);
  if (!template) {
    template = path.join(tempDir('dgit-heal-template-'), 'repo');
    run(path.dirname(template), 'init', 'repo');
    const file = writeFile(path.dirname(template), `${table}.ndjson`, ndjson(rows));
    run(template, 'import', file, '--table', table, ...(options.keyless ? [] : ['--key', 'id']));
    run(template, 'commit', '-m', `import ${table}`);
    templates.set(name, template);
  }
  const copy = path.join(tempDir('dgit-heal-'), 'repo');
  fs.cpSync(template, copy, { recursive: true });
  return copy;
}

/** Store dgit.yml (through `writeConfig`, validated) and commit it. */
export async function commitConfig(dir: string, yaml: string, message = 'dgit.yml'): Promise<string> {
  const repository = await Repository.open(dir);
  await writeConfig(repository, yaml);
  return (await commit(repository, { message })).commit;
}

/** Load rows (upsert by default) and commit, through the library as `dgit import` does: a broken upstream load. */
export async function load(dir: string, table: string, rows: Row[], mode: ImportMode = 'upsert', message = `load ${table}`, key?: string[]): Promise<string> {
  const file = writeFile(path.dirname(dir), `load-${Date.now()}-${Math.random().toString(16).slice(2)}.ndjson`, ndjson(rows));
  const repository = await Repository.open(dir);
  await importTable(repository, file, { table, mode, format: 'ndjson', key });
  return (await commit(repository, { message })).commit;
}

export function yaml(...lines: string[]): string {
  return lines.join('\n') + '\n';
}

/** Run the real CLI, failing with its stderr unless it exits 0. */
export function run(cwd: string, ...args: string[]): string {
  const result = dgit(cwd, ...args);
  if (result.code !== 0) throw new Error(`dgit ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return result.stdout;
}

/** Run `dgit heal | propose | incidents …` through the built CLI. */
export function healCli(cwd: string, ...args: string[]): RunResult {
  return dgit(cwd, ...args);
}

export function healCliOk(cwd: string, ...args: string[]): string {
  const result = healCli(cwd, ...args);
  if (result.code !== 0) throw new Error(`dgit ${args.join(' ')} exited ${result.code}: ${result.stderr}${result.stdout}`);
  return result.stdout;
}

/** The bytes that say where the default branch is and what its working set holds, and the files of the working directory. */
export function defaultBranchState(dir: string, branch = 'main'): string {
  const gitdir = path.join(dir, '.git');
  const read = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '<none>');
  const files: string[] = [];
  const walk = (folder: string) => {
    for (const entry of fs.readdirSync(folder, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name === '.git') continue;
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) walk(full);
      else files.push(`${path.relative(dir, full)} ${fs.statSync(full).size} ${fs.readFileSync(full).toString('base64').slice(0, 64)}`);
    }
  };
  walk(dir);
  return [
    `HEAD ${read(path.join(gitdir, 'HEAD'))}`,
    `ref ${read(path.join(gitdir, 'refs/heads', branch))}`,
    `packed ${read(path.join(gitdir, 'packed-refs'))}`,
    `working ${read(path.join(gitdir, 'dgit/working', `${branch}.json`))}`,
    `working ref ${read(path.join(gitdir, 'refs/dgit/working', branch))}`,
    ...files,
  ].join('\n');
}
