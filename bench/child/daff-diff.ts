/**
 * Baseline child process: daff's JS library diffing two CSV files (loaded as
 * arrays of arrays of strings), keyed by `id` when DAFF_KEY=id. Prints JSON:
 * load seconds, compare (align + hilite) seconds, diff rows, peak RSS.
 * Usage: node daff-diff.js A.csv B.csv
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const daff: any = require('daff');
const [a, b] = process.argv.slice(2);
if (!a || !b) throw new Error('usage: daff-diff A.csv B.csv');

/** The CSVs are DuckDB's output of plain values (no quoting needed): split lines and commas. */
function load(file: string): string[][] {
  const text = fs.readFileSync(file, 'utf8');
  const rows: string[][] = [];
  for (const line of text.split('\n')) if (line) rows.push(line.split(','));
  return rows;
}

let started = process.hrtime.bigint();
const data1 = load(a);
const data2 = load(b);
const loadSeconds = Number(process.hrtime.bigint() - started) / 1e9;

started = process.hrtime.bigint();
const flags = new daff.CompareFlags();
if (process.env.DAFF_KEY) flags.addPrimaryKey(process.env.DAFF_KEY);
const table1 = new daff.TableView(data1);
const table2 = new daff.TableView(data2);
const alignment = daff.compareTables(table1, table2, flags).align();
const out: unknown[][] = [];
const highlighter = new daff.TableDiff(alignment, flags);
highlighter.hilite(new daff.TableView(out));
const compareSeconds = Number(process.hrtime.bigint() - started) / 1e9;
// Rows of the highlighter table that carry a change (not the header/schema/context rows).
const changed = out.filter((row) => row[0] === '->' || row[0] === '+++' || row[0] === '---').length;
process.stdout.write(
  JSON.stringify({
    rows: data1.length - 1,
    diffRows: out.length,
    changedRows: changed,
    loadSeconds,
    compareSeconds,
    maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  }) + '\n',
);
