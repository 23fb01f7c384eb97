import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { commit } from '../../../engine/commands/commit.js';
import { switchBranch } from '../../../engine/commands/branch.js';
import { importTable, type ImportMode } from '../../../engine/commands/import.js';
import { writeConfig } from '../../../engine/config/index.js';
import { Repository } from '../../../engine/repository/repository.js';
import { tempDir } from '../../support/cli.js';

/**
 * Small data repositories made through the engine's own API (fast, no CLI
 * process), the way a data team would: flights with a primary key, checks in
 * dgit.yml, branches with commits on them.
 */

export const AUTHOR = { name: 'Data Person', email: 'data@example.com' };

/** dgit.yml of the flights repository; line numbers matter (annotations point at them). */
export const FLIGHTS_CONFIG = [
  'version: 1', //                                 1
  'tables:', //                                    2
  '  flights:', //                                 3
  '    checks:', //                                4
  '      - kind: not_null', //                     5
  '        column: delay', //                      6
  '      - kind: accepted_values', //              7
  '        column: origin', //                     8
  '        values: [JFK, LAX, SFO, ORD]', //       9
].join('\n') + '\n';

export type FlightRow = {
  id: number;
  origin: string;
  dest: string;
  delay: number | null;
  note: string;
};

/** `count` flights; the ids in `nullDelays` have no delay (the failing check of main). */
export function flights(count: number, nullDelays: number[] = []): FlightRow[] {
  const airports = ['JFK', 'LAX', 'SFO', 'ORD'];
  return Array.from({ length: count }, (_, i) => ({
    id: i + 1,
    origin: airports[i % 4]!,
    dest: airports[(i + 1) % 4]!,
    delay: nullDelays.includes(i + 1) ? null : (i * 7) % 45,
    note: `flight ${i + 1}`,
  }));
}

export function csv(rows: ReadonlyArray<Record<string, unknown>>): string {
  const columns = Object.keys(rows[0]!);
  const cell = (value: unknown) => {
    if (value === null || value === undefined) return '';
    const text = String(value);
    return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return [columns.join(','), ...rows.map((row) => columns.map((c) => cell(row[c])).join(','))].join('\n') + '\n';
}

export class DataRepository {
  private constructor(
    readonly dir: string,
    readonly repository: Repository,
  ) {}

  /** A new repository on `main`. */
  static async create(name = 'data'): Promise<DataRepository> {
    const dir = path.join(tempDir('dgit-bot-data-'), name);
    const { repository } = await Repository.init(dir, { initialBranch: 'main' });
    return new DataRepository(dir, repository);
  }

  /** Load rows into a table of the working set (a CSV file under the hood). */
  async load(table: string, rows: ReadonlyArray<Record<string, unknown>>, options: { mode?: ImportMode; key?: string[] } = {}): Promise<void> {
    const file = path.join(path.dirname(this.dir), `${table}-${Date.now()}-${Math.random().toString(16).slice(2)}.csv`);
    fs.writeFileSync(file, csv(rows));
    const exists = (await this.repository.readTable((await this.repository.workingSet()).tree, table)) !== undefined;
    await importTable(this.repository, file, { table, mode: options.mode ?? 'replace', key: exists ? undefined : options.key, format: 'csv' });
    fs.rmSync(file);
  }

  async config(text: string): Promise<void> {
    await writeConfig(this.repository, text);
  }

  async commit(message: string): Promise<string> {
    return (await commit(this.repository, { message, author: AUTHOR })).commit;
  }

  /** Switch to `branch`, creating it from `start` (default: the current branch) when asked. */
  async switch(branch: string, options: { create?: boolean; start?: string } = {}): Promise<void> {
    await switchBranch(this.repository, branch, options);
  }

  async head(branch: string): Promise<string> {
    return (await this.repository.branchHead(branch))!;
  }

  /** Push branches to a bare repository on disk (the git server's copy), with the real git. */
  push(bare: string, ...branches: string[]): void {
    execFileSync('git', ['push', '--quiet', '--force', bare, ...branches.map((b) => `refs/heads/${b}:refs/heads/${b}`)], { cwd: this.dir, stdio: 'pipe' });
  }
}

/**
 * The repository most tests use: `flights` (60 rows, key `id`) on main with three
 * null delays, so `flights.delay.not_null` fails there: the incident a healer fixes.
 */
export async function flightsRepository(config = FLIGHTS_CONFIG): Promise<DataRepository> {
  const data = await DataRepository.create();
  await data.load('flights', flights(60, [4, 17, 33]), { key: ['id'] });
  await data.config(config);
  await data.commit('flights with their checks');
  return data;
}
