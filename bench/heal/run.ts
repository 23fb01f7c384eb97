/**
 * The healing benchmark (`npm run bench:heal`): fault injection on real
 * vega-datasets tables. For each fault family, a bad load lands on a copy of a
 * clean, green main; then `dgit check` (detected? by which check), `dgit heal`
 * (which proposals, of which kind), the merge queue (every proposal queued; one
 * marked for review is approved first, as its reviewer would, and counted), and
 * finally main is compared by key with the true table: rows exactly restored,
 * wrongly changed, invented, dropped (and of those dropped, how many wait,
 * labelled, in `<t>__quarantine`). Every number is computed here.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runChecks } from '../../engine/checks/index.js';
import { commit } from '../../engine/commands/commit.js';
import { importTable, type ImportMode } from '../../engine/commands/import.js';
import { runSql } from '../../engine/commands/sql.js';
import { writeConfig } from '../../engine/config/index.js';
import { heal } from '../../engine/heal/index.js';
import { approveProposal } from '../../engine/heal/review.js';
import { addToQueue, runQueue } from '../../engine/queue/index.js';
import { Repository } from '../../engine/repository/repository.js';
import { withTableTree } from '../../engine/table/root-tree.js';

type Row = Record<string, unknown>;

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const DATA = path.join(ROOT, 'node_modules/vega-datasets/data');
const WORK = fs.mkdtempSync(path.join(os.tmpdir(), 'dgit-bench-heal-'));

function csv(file: string): Row[] {
  const [header, ...lines] = fs.readFileSync(path.join(DATA, file), 'utf8').trim().split('\n');
  const names = header!.split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((value, i) => [names[i]!, value === '' ? null : /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value])));
}

// The tables: seattle-weather keyed by date; gapminder keyed by a load row id with (country, year) unique;
// airports keyed by iata; flights (2k, keyed by row number) whose origin and destination reference airports.
const weather = csv('seattle-weather.csv');
const gapminder: Row[] = (JSON.parse(fs.readFileSync(path.join(DATA, 'gapminder.json'), 'utf8')) as Row[]).map((row, i) => ({ row_id: i + 1, ...row }));
const flights: Row[] = (JSON.parse(fs.readFileSync(path.join(DATA, 'flights-2k.json'), 'utf8')) as Row[]).map((row, i) => ({ id: i + 1, ...row }));
const used = new Set(flights.flatMap((f) => [f['origin'], f['destination']]));
const airports = csv('airports.csv').filter((a) => used.has(a['iata']));

/** Rows held out of main: the "new rows" of a load. */
const HOLDOUT = 20;
const TABLES: Record<string, { rows: Row[]; key: string[]; natural: string[]; ignore: string[] }> = {
  weather: { rows: weather, key: ['date'], natural: ['date'], ignore: [] },
  gapminder: { rows: gapminder, key: ['row_id'], natural: ['country', 'year'], ignore: ['row_id'] },
  airports: { rows: airports, key: ['iata'], natural: ['iata'], ignore: [] },
  flights: { rows: flights, key: ['id'], natural: ['id'], ignore: [] },
};

const CONFIG = [
  'version: 1',
  'tables:',
  '  weather:',
  '    checks:',
  '      - { kind: not_null, column: temp_max }',
  '      - { kind: range, column: temp_max, min: -20, max: 45 }',
  '      - { kind: accepted_values, column: weather, values: [drizzle, rain, sun, snow, fog] }',
  '  gapminder:',
  '    checks:',
  '      - { kind: unique, columns: [country, year] }',
  '      - { kind: range, column: life_expect, min: 0, max: 100 }',
  '  airports:',
  '    checks:',
  '      - { kind: row_count, max_change: "10%" }',
  '  flights:',
  '    checks:',
  '      - { kind: foreign_key, column: origin, references: { table: airports, column: iata } }',
  '      - { kind: foreign_key, column: destination, references: { table: airports, column: iata } }',
  'policy:',
  '  max_rows_per_proposal: 200',
  '  tables:',
  '    weather: { null_unconvertible: true }',
  '    gapminder: {}',
  '    airports: {}',
  '    flights: {}',
  '',
].join('\n');

let files = 0;
function ndjson(rows: Row[]): string {
  const file = path.join(WORK, `load-${++files}.ndjson`);
  fs.writeFileSync(file, rows.map((row) => JSON.stringify(row)).join('\n') + '\n');
  return file;
}

async function load(repository: Repository, table: string, rows: Row[], mode: ImportMode, key?: string[]): Promise<void> {
  await importTable(repository, ndjson(rows), { table, mode, format: 'ndjson', key });
}

const heldOut = (table: string) => TABLES[table]!.rows.slice(-HOLDOUT);
const inMain = (table: string) => TABLES[table]!.rows.slice(0, -HOLDOUT);

/** A clean, green main: every table without its held-out rows (airports keeps all: flights reference them), and dgit.yml. */
async function template(): Promise<string> {
  const dir = path.join(WORK, 'template');
  const { repository } = await Repository.init(dir);
  for (const [name, table] of Object.entries(TABLES)) await load(repository, name, name === 'airports' ? table.rows : inMain(name), 'replace', table.key);
  await commit(repository, { message: 'clean tables' });
  await writeConfig(repository, CONFIG);
  await commit(repository, { message: 'dgit.yml' });
  const report = await runChecks(repository, 'main');
  if (!report.passed) throw new Error(`the clean main is not green: ${report.results.filter((r) => !r.passed).map((r) => r.check).join(', ')}`);
  return dir;
}

interface Fault {
  name: string;
  /** Tables the fault touches: compared with the truth after the queue. */
  tables: string[];
  /** Make the bad load (committed by the runner), and return the true rows of the touched tables. */
  inject: (repository: Repository) => Promise<Record<string, Row[]>>;
  /** Rows the fault damaged, by table: natural keys as JSON text. */
  affected: Record<string, Row[]>;
}

const pick = (rows: Row[], every: number, count: number) => rows.filter((_, i) => i % every === 3).slice(0, count);
const truthOf = (table: string, extra: Row[] = [], replaced: Row[] = []) => {
  const byKey = new Map(inMain(table).map((row) => [naturalKey(table, row), row]));
  for (const row of [...replaced, ...extra]) byKey.set(naturalKey(table, row), row);
  return [...byKey.values()];
};

function naturalKey(table: string, row: Row): string {
  return JSON.stringify(TABLES[table]!.natural.map((c) => row[c]));
}

const resentNulls = pick(inMain('weather'), 37, 25);
const resentRange = pick(inMain('gapminder'), 19, 25);
const drifted = pick(inMain('weather'), 41, 20);
const newCase = heldOut('weather').slice(0, 10);
const duplicates = pick(inMain('gapminder'), 23, 25);
const corrections = pick(inMain('gapminder'), 29, 20).map((row) => ({ ...row, pop: Number(row['pop']) + 1000 }));
const lostAirports = [...new Set(inMain('flights').map((f) => f['origin'] as string))].slice(0, 5);
const textTemps = pick(inMain('weather'), 31, 30);

const FAULTS: Fault[] = [
  {
    name: 'exact duplicates re-sent',
    tables: ['gapminder'],
    affected: { gapminder: duplicates },
    inject: async (repository) => {
      await load(repository, 'gapminder', duplicates.map((row, i) => ({ ...row, row_id: 5001 + i })), 'append');
      return { gapminder: truthOf('gapminder') };
    },
  },
  {
    name: 'late corrections',
    tables: ['gapminder'],
    affected: { gapminder: corrections },
    inject: async (repository) => {
      await load(repository, 'gapminder', corrections.map((row, i) => ({ ...row, row_id: 6001 + i })), 'append');
      return { gapminder: truthOf('gapminder', [], corrections) };
    },
  },
  {
    name: 'whitespace/case drift (re-sent and new)',
    tables: ['weather'],
    affected: { weather: [...drifted, ...newCase] },
    inject: async (repository) => {
      const drift = (row: Row) => ({ ...row, weather: ` ${String(row['weather']).toUpperCase()} ` });
      await load(repository, 'weather', [...drifted.map(drift), ...newCase.map(drift)], 'upsert');
      return { weather: truthOf('weather', newCase) };
    },
  },
  {
    name: 'type drift ("12.0", "N/A")',
    tables: ['weather'],
    affected: { weather: textTemps },
    inject: async (repository) => {
      // An outside pipeline replaces the table with a load of its own where temp_max arrived as text.
      const text = new Set(textTemps.map((row) => row['date']));
      const spelled = inMain('weather').map((row, i) => ({
        ...row,
        temp_max: !text.has(row['date']) ? String(row['temp_max']) : i % 3 === 0 ? 'N/A' : ` ${Number(row['temp_max']).toFixed(1)}0 `,
      }));
      await load(repository, 'weather_staging', spelled, 'replace', ['date']);
      return { weather: truthOf('weather') };
    },
  },
  {
    name: 'nulls in new rows',
    tables: ['weather'],
    affected: { weather: heldOut('weather').slice(0, 10) },
    inject: async (repository) => {
      await load(repository, 'weather', heldOut('weather').slice(0, 10).map((row) => ({ ...row, temp_max: null })), 'upsert');
      return { weather: truthOf('weather', heldOut('weather').slice(0, 10)) };
    },
  },
  {
    name: 'nulls in re-sent rows',
    tables: ['weather'],
    affected: { weather: resentNulls },
    inject: async (repository) => {
      await load(repository, 'weather', resentNulls.map((row) => ({ ...row, temp_max: null })), 'upsert');
      return { weather: truthOf('weather') };
    },
  },
  {
    name: 'out-of-range in new rows',
    tables: ['gapminder'],
    affected: { gapminder: heldOut('gapminder').slice(0, 10) },
    inject: async (repository) => {
      await load(repository, 'gapminder', heldOut('gapminder').slice(0, 10).map((row) => ({ ...row, life_expect: Number(row['life_expect']) * 10 })), 'append');
      return { gapminder: truthOf('gapminder', heldOut('gapminder').slice(0, 10)) };
    },
  },
  {
    name: 'out-of-range in re-sent rows',
    tables: ['gapminder'],
    affected: { gapminder: resentRange },
    inject: async (repository) => {
      await load(repository, 'gapminder', resentRange.map((row) => ({ ...row, life_expect: Number(row['life_expect']) * 10 })), 'upsert');
      return { gapminder: truthOf('gapminder') };
    },
  },
  {
    name: 'orphaned FK from new facts',
    tables: ['flights'],
    affected: { flights: heldOut('flights').slice(0, 10) },
    inject: async (repository) => {
      await load(repository, 'flights', heldOut('flights').slice(0, 10).map((row) => ({ ...row, origin: 'Q' + String(row['origin']).slice(1) + 'X' })), 'append');
      return { flights: truthOf('flights', heldOut('flights').slice(0, 10)) };
    },
  },
  {
    name: 'orphaned FK from a shrunken dimension',
    tables: ['airports', 'flights'],
    affected: { airports: airports.filter((a) => lostAirports.includes(a['iata'] as string)) },
    inject: async (repository) => {
      await load(repository, 'airports', lostAirports.map((iata) => ({ iata })), 'delete');
      return { airports: airports, flights: truthOf('flights') };
    },
  },
  {
    name: 'partial load (60% of airports lost)',
    tables: ['airports'],
    affected: { airports: airports.slice(Math.floor(airports.length * 0.4)) },
    inject: async (repository) => {
      await load(repository, 'airports', airports.slice(0, Math.floor(airports.length * 0.4)), 'replace');
      return { airports };
    },
  },
  {
    name: 'three faults at once',
    tables: ['weather', 'gapminder'],
    affected: { weather: [...resentNulls, ...newCase], gapminder: resentRange },
    inject: async (repository) => {
      await load(repository, 'weather', [...resentNulls.map((row) => ({ ...row, temp_max: null })), ...newCase.map((row) => ({ ...row, weather: ` ${String(row['weather']).toUpperCase()}` }))], 'upsert');
      await load(repository, 'gapminder', resentRange.map((row) => ({ ...row, life_expect: Number(row['life_expect']) * 10 })), 'upsert');
      return { weather: truthOf('weather', newCase), gapminder: truthOf('gapminder') };
    },
  },
];

/** The tables of a revision as JSON rows (the form of `dgit diff --json`), through dgit's own SQL. */
async function tableRows(repository: Repository, table: string, rev: string): Promise<Row[] | undefined> {
  const tree = (await repository.readCommit(await repository.resolve(rev))).tree;
  if (!(await repository.readTable(tree, table))) return undefined;
  const result = await runSql(repository, `SELECT * FROM "${table}"`, { rev });
  if (result.kind !== 'rows') throw new Error('not rows');
  return result.rows;
}

interface Outcome {
  fault: string;
  detected: string;
  proposals: string;
  green: boolean;
  reviewed: number;
  affected: number;
  restored: number;
  wrong: number;
  invented: number;
  dropped: number;
  quarantined: number;
  seconds: number;
}

/** Rows as dgit returns them, for comparing: the truth goes through the same import. */
async function truthRows(table: string, rows: Row[]): Promise<Row[]> {
  const dir = path.join(WORK, `truth-${++files}`);
  const { repository } = await Repository.init(dir);
  await load(repository, table, rows, 'replace', TABLES[table]!.key);
  await commit(repository, { message: 'truth' });
  const out = (await tableRows(repository, table, 'main'))!;
  fs.rmSync(dir, { recursive: true, force: true });
  return out;
}

function comparable(table: string, row: Row): string {
  const ignore = new Set(TABLES[table]!.ignore);
  return JSON.stringify(Object.entries(row).filter(([name]) => !ignore.has(name) && name !== '_dgit_reason'));
}

async function runFault(templateDir: string, fault: Fault): Promise<Outcome> {
  const started = Date.now();
  const dir = path.join(WORK, `fault-${++files}`);
  fs.cpSync(templateDir, dir, { recursive: true });
  const repository = await Repository.open(dir);
  const truth = await fault.inject(repository);
  await commit(repository, { message: `bad load: ${fault.name}` });
  if (fault.name.startsWith('type drift')) {
    // Swap the staged text table in for weather by a plain commit, as an outside writer would.
    const head = await repository.resolve('main');
    const tree = (await repository.readCommit(head)).tree;
    const staged = (await repository.tableTrees(tree)).get('weather_staging')!;
    let next = await withTableTree(repository.store, repository.store, tree, 'weather', staged);
    next = await withTableTree(repository.store, repository.store, next, 'weather_staging', undefined);
    const signature = await repository.signature();
    const swapped = repository.writeCommit(repository.store, { tree: next, parents: [(await repository.readCommit(head)).parents[0]!], author: signature, committer: signature, message: 'pipeline reload of weather' });
    await repository.refs.compareAndSwap('refs/heads/main', head, swapped);
  }
  const checked = await runChecks(repository, 'main');
  const failing = checked.results.filter((r) => !r.passed);
  const report = await heal(repository);
  let reviewed = 0;
  for (const incident of report.incidents) {
    if (incident.status !== 'proposed' || !incident.branch) continue;
    if (incident.review_required) {
      // The benchmark plays the reviewer of a proposal marked for review, and counts it.
      await approveProposal(repository, incident.branch);
      reviewed++;
    }
    await addToQueue(repository, incident.branch);
  }
  await runQueue(repository);
  const green = (await runChecks(repository, 'main')).passed;

  const outcome: Outcome = {
    fault: fault.name,
    detected: failing.map((r) => r.check).join(', ') || 'no',
    proposals: report.incidents.map((i) => (i.status === 'proposed' ? `${i.strategy} (${i.resolution}${i.review_required ? ', review' : ''})` : `none: ${i.check}`)).join('; '),
    green,
    reviewed,
    affected: 0,
    restored: 0,
    wrong: 0,
    invented: 0,
    dropped: 0,
    quarantined: 0,
    seconds: 0,
  };
  for (const table of fault.tables) {
    const expected = await truthRows(table, truth[table]!);
    const actual = (await tableRows(repository, table, 'main')) ?? [];
    const quarantine = new Set(((await tableRows(repository, `${table}__quarantine`, 'main')) ?? []).map((row) => naturalKey(table, row)));
    const want = new Map(expected.map((row) => [naturalKey(table, row), row]));
    const have = new Map<string, Row[]>();
    for (const row of actual) have.set(naturalKey(table, row), [...(have.get(naturalKey(table, row)) ?? []), row]);
    // Keys in dgit's own JSON form (a date reads back as dgit writes it): the affected rows go through the same import.
    const damaged = fault.affected[table] ?? [];
    const affected = new Set((damaged.length > 0 ? await truthRows(table, damaged) : []).map((row) => naturalKey(table, row)));
    outcome.affected += affected.size;
    for (const [key, rows] of have) {
      const truthRow = want.get(key);
      if (!truthRow) {
        outcome.invented += rows.length;
        continue;
      }
      const exact = rows.length === 1 && comparable(table, rows[0]!) === comparable(table, truthRow);
      if (!exact) outcome.wrong++;
      else if (affected.has(key)) outcome.restored++;
      // Extra copies of a key are invented rows.
      outcome.invented += rows.length - 1;
    }
    for (const key of want.keys()) {
      if (have.has(key)) continue;
      outcome.dropped++;
      if (quarantine.has(key)) outcome.quarantined++;
    }
  }
  outcome.seconds = (Date.now() - started) / 1000;
  fs.rmSync(dir, { recursive: true, force: true });
  return outcome;
}

function markdown(outcomes: Outcome[]): string {
  const lines = [
    '| fault | detected by | proposals (kind) | main green after queue | affected rows | restored exactly | wrongly changed | invented | dropped (of which in quarantine) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const o of outcomes)
    lines.push(
      `| ${o.fault} | ${o.detected} | ${o.proposals}${o.reviewed ? ` [${o.reviewed} approved by a reviewer]` : ''} | ${o.green ? 'yes' : 'no'} | ${o.affected} | ${o.restored} | ${o.wrong} | ${o.invented} | ${o.dropped} (${o.quarantined}) |`,
    );
  return lines.join('\n');
}

async function main(): Promise<void> {
  const only = process.env.BENCH_FAULT;
  const templateDir = await template();
  const outcomes: Outcome[] = [];
  for (const fault of FAULTS) {
    if (only && !fault.name.includes(only)) continue;
    const outcome = await runFault(templateDir, fault);
    outcomes.push(outcome);
    process.stderr.write(`${fault.name}: ${outcome.seconds.toFixed(1)} s\n`);
  }
  const text = markdown(outcomes);
  const out = path.join(ROOT, 'bench', 'out');
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'heal.md'), text + '\n');
  fs.writeFileSync(path.join(out, 'heal.json'), JSON.stringify(outcomes, null, 2) + '\n');
  process.stdout.write(text + '\n');
  fs.rmSync(WORK, { recursive: true, force: true });
}

await main();
