/**
 * `npm run bench`: dgit against baselines measured in the same run on the same
 * machine (DuckDB, plain git, daff). Prints a Markdown report and writes
 * bench/out/results.json (import/commit, issue 2) and bench/out/diff-merge.json
 * (diff and merge, issue 3, bench/diff-merge.ts).
 * Set BENCH_ROWS to run on fewer rows than the 3,000,000 of flights-3m, and
 * BENCH_ONLY=import|diff|merge (comma-separated) to run only some parts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { DuckDBInstance } from '@duckdb/node-api';
import os from 'node:os';
import { FLIGHTS, OUT, ROWS, cpuSample, dgit, du, loadAverage, mb, selected, snapshotDist } from './lib.js';
import { runDiffMerge } from './diff-merge.js';

interface Measure {
  name: string;
  seconds: number;
  detail?: string;
  peakMiB?: number;
}
const results: Measure[] = [];
const notes: Record<string, unknown> = {};

function record(name: string, seconds: number, detail?: string, peakMiB?: number): void {
  results.push({ name, seconds, detail, peakMiB });
  process.stderr.write(`${name}: ${seconds.toFixed(3)} s${detail ? ` (${detail})` : ''}${peakMiB ? `, peak ${peakMiB} MiB` : ''}\n`);
}

async function main(): Promise<void> {
  if (selected('import')) fs.rmSync(OUT, { recursive: true, force: true });
  fs.mkdirSync(OUT, { recursive: true });
  snapshotDist();
  const loadBefore = loadAverage();
  const cpuBefore = cpuSample();
  const started = process.hrtime.bigint();
  if (selected('import')) await importBench();
  const diffMerge = await runDiffMerge();
  if (diffMerge) process.stdout.write(`\n${diffMerge}`);
  const cpuAfter = cpuSample();
  const busy = (cpuAfter.busy - cpuBefore.busy) / (cpuAfter.total - cpuBefore.total);
  process.stdout.write(
    `\nMachine: ${os.cpus().length} cores; whole run ${(Number(process.hrtime.bigint() - started) / 6e10).toFixed(1)} min; load average ${loadBefore} at start, ${loadAverage()} at end; all cores ${(busy * 100).toFixed(0)}% busy over the run (the benchmark mostly keeps one core busy, DuckDB steps both: far above 50% means other work shared the machine and the times are inflated).\n`,
  );
}

/** Issue 2: import, commit, a 10-row change, branch; against DuckDB and plain git. */
async function importBench(): Promise<void> {
  const duck = await DuckDBInstance.create(':memory:');
  const sql = await duck.connect();
  const keyed = path.join(OUT, 'flights-keyed.parquet');
  const keyless = path.join(OUT, 'flights.parquet');
  await sql.run(`COPY (SELECT row_number() OVER () AS id, * FROM read_parquet('${FLIGHTS}') LIMIT ${ROWS}) TO '${keyed}' (FORMAT parquet)`);
  await sql.run(`COPY (SELECT * FROM read_parquet('${FLIGHTS}') LIMIT ${ROWS}) TO '${keyless}' (FORMAT parquet)`);
  notes.rows = ROWS;

  // Baseline: DuckDB copying the same file to sorted ZSTD Parquet.
  let started = process.hrtime.bigint();
  const sorted = path.join(OUT, 'duckdb-sorted.parquet');
  await sql.run(`COPY (SELECT * FROM read_parquet('${keyed}') ORDER BY id) TO '${sorted}' (FORMAT parquet, COMPRESSION zstd)`);
  const duckSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  record('baseline: DuckDB copy to sorted ZSTD Parquet', duckSeconds, mb(fs.statSync(sorted).size));
  notes.duckdbParquetBytes = fs.statSync(sorted).size;

  // Baseline: plain git of the same rows as CSV.
  const gitRepo = path.join(OUT, 'git-csv');
  fs.mkdirSync(gitRepo);
  execFileSync('git', ['init', '-q', gitRepo]);
  await sql.run(`COPY (SELECT * FROM read_parquet('${keyed}') ORDER BY id) TO '${path.join(gitRepo, 'flights.csv')}' (FORMAT csv)`);
  const gitEnv = { GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@b' };
  started = process.hrtime.bigint();
  execFileSync('git', ['add', 'flights.csv'], { cwd: gitRepo });
  execFileSync('git', ['commit', '-q', '-m', 'csv'], { cwd: gitRepo, env: { ...process.env, ...gitEnv } });
  record('baseline: git add && git commit of the CSV', Number(process.hrtime.bigint() - started) / 1e9, `.git ${mb(du(path.join(gitRepo, '.git')))}`);

  // dgit import + commit, keyed.
  const repo = path.join(OUT, 'dgit-keyed');
  dgit(OUT, 'init', repo);
  const imported = dgit(repo, 'import', keyed, '--table', 'flights', '--key', 'id');
  const committed = dgit(repo, 'commit', '-m', 'import');
  const importSeconds = imported.seconds + committed.seconds;
  record('dgit import + commit (keyed)', importSeconds, `${Math.round(ROWS / importSeconds).toLocaleString('en-US')} rows/s, ${(importSeconds / duckSeconds).toFixed(2)}x DuckDB`, imported.peakMiB);
  const objectsBytes = du(path.join(repo, '.git', 'objects'));
  notes.repoBytes = objectsBytes;
  record('repository size after import (.git/objects)', 0, `${mb(objectsBytes)} = ${(objectsBytes / (notes.duckdbParquetBytes as number)).toFixed(2)}x DuckDB's ZSTD Parquet`);

  // dgit import + commit, keyless (a bag of 3M rows with duplicates).
  const bag = path.join(OUT, 'dgit-keyless');
  dgit(OUT, 'init', bag);
  const bagImport = dgit(bag, 'import', keyless, '--table', 'flights');
  const bagCommit = dgit(bag, 'commit', '-m', 'import');
  record('dgit import + commit (keyless)', bagImport.seconds + bagCommit.seconds, `${Math.round(ROWS / (bagImport.seconds + bagCommit.seconds)).toLocaleString('en-US')} rows/s`, bagImport.peakMiB);

  // A 10-row change: upsert + commit, in process time and as processes.
  const tenRows = path.join(OUT, 'ten.parquet');
  await sql.run(
    `COPY (SELECT id, date, delay + 7 AS delay, distance, origin, destination FROM read_parquet('${keyed}') WHERE id IN (${Array.from({ length: 10 }, (_, i) => 1 + Math.floor(((i + 0.5) * ROWS) / 10)).join(',')})) TO '${tenRows}' (FORMAT parquet)`,
  );
  const before = du(path.join(repo, '.git', 'objects'));
  const version = dgit(repo, '--version').seconds;
  const upsert = dgit(repo, 'import', tenRows, '--table', 'flights', '--mode', 'upsert', '--json');
  const commitTen = dgit(repo, 'commit', '-m', 'ten rows');
  const growth = du(path.join(repo, '.git', 'objects')) - before;
  const written = JSON.parse(upsert.stdout).chunksWritten;
  record(
    'dgit 10-row upsert + commit',
    upsert.seconds + commitTen.seconds,
    `${((upsert.seconds + commitTen.seconds - 2 * version) * 1000).toFixed(0)} ms past process start; ${written} chunks written; repo +${(growth / 1e3).toFixed(0)} KB = ${((growth / objectsBytes) * 100).toFixed(2)}% of the table`,
    Math.max(upsert.peakMiB, commitTen.peakMiB),
  );
  notes.processStartSeconds = version;

  // Baseline: plain git committing the re-exported CSV with the same 10 rows changed.
  const gitBefore = du(path.join(gitRepo, '.git'));
  await sql.run(
    `COPY (SELECT k.id, k.date, coalesce(t.delay, k.delay) AS delay, k.distance, k.origin, k.destination FROM read_parquet('${keyed}') k LEFT JOIN read_parquet('${tenRows}') t USING (id) ORDER BY id) TO '${path.join(gitRepo, 'flights.csv')}' (FORMAT csv)`,
  );
  started = process.hrtime.bigint();
  execFileSync('git', ['commit', '-q', '-am', 'ten rows'], { cwd: gitRepo, env: { ...process.env, ...gitEnv } });
  record('baseline: git commit -a of the re-exported CSV', Number(process.hrtime.bigint() - started) / 1e9, `.git +${mb(du(path.join(gitRepo, '.git')) - gitBefore)}`);

  // Branch creation.
  const branch = dgit(repo, 'branch', 'bench-branch');
  record('dgit branch (process)', branch.seconds, `${((branch.seconds - version) * 1000).toFixed(0)} ms past process start`);

  sql.closeSync();
  duck.closeSync();
  const report = ['| measure | seconds | detail | peak MiB |', '| --- | ---: | --- | ---: |', ...results.map((r) => `| ${r.name} | ${r.seconds ? r.seconds.toFixed(3) : ''} | ${r.detail ?? ''} | ${r.peakMiB ?? ''} |`)];
  fs.writeFileSync(path.join(OUT, 'results.json'), JSON.stringify({ results, notes }, null, 2));
  process.stdout.write(`\n### Import and commit (issue 2)\n\nNode process start (dgit --version): ${version.toFixed(3)} s; rows: ${ROWS.toLocaleString('en-US')}\n\n${report.join('\n')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
