/**
 * Chunk size, weighed (issue 13: "tune the chunk size by benchmark, weighing scan speed
 * and the number of files"). For each chunking (BENCH_CHUNKINGS, a comma list of
 * min/target/max rows) the flights-schema table of BENCH_CHUNK_ROWS rows (3M) is
 * imported with it, then BENCH_CHUNK_COMMITS (8) 10-row upserts spread over the key range
 * are committed by the `dgit` command, each measured by the bytes it adds to
 * .git/objects (which rows are hit moves a single figure a lot: the mean and range are
 * reported); DuckDB then
 * scans the chunk files of the working directory as any engine would (an aggregate
 * over four columns, and a point lookup; minimum of 5). Writes
 * bench/out/chunk-size.json and prints Markdown.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { commit, importTable, initRepository, type ChunkingParameters } from '../engine/index.js';
import { flightsSelect, spread, sqlLiteral as lit, upsertFile } from './flights-select.js';
import { OUT, dgit, du, snapshotDist } from './lib.js';

const DIR = path.join(OUT, 'chunk-size');
const ROWS = Number(process.env.BENCH_CHUNK_ROWS ?? 3_000_000);
const COMMITS = Number(process.env.BENCH_CHUNK_COMMITS ?? 8);
const CHUNKINGS = (process.env.BENCH_CHUNKINGS ?? '1024/4096/24576,3072/4096/8192,2048/3072/6144,1024/2048/8192').split(',').map((text): ChunkingParameters => {
  const [minRows, targetRows, maxRows] = text.split('/').map(Number) as [number, number, number];
  return { hash: 'fnv1a32-fmix-v1', minRows, targetRows, maxRows };
});

interface Row {
  chunking: string;
  chunks: number;
  repositoryBytes: number;
  commitBytes: number[];
  aggregateMs: number;
  lookupMs: number;
}

/** The smallest of `runs` timings of `sql`, in ms. */
async function minimumMs(sql: DuckDBConnection, query: string, runs = 5): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const started = process.hrtime.bigint();
    await (await sql.run(query)).getRows();
    best = Math.min(best, Number(process.hrtime.bigint() - started) / 1e6);
  }
  return best;
}

async function oneChunking(sql: DuckDBConnection, keyed: string, chunking: ChunkingParameters): Promise<Row> {
  const label = `${chunking.minRows}/${chunking.targetRows}/${chunking.maxRows}`;
  const repo = path.join(DIR, label.replaceAll('/', '-'));
  fs.rmSync(repo, { recursive: true, force: true });
  const { repository } = await initRepository(repo);
  await importTable(repository, keyed, { table: 'flights', key: ['id'], chunking });
  await commit(repository, { message: 'import', author: { name: 'bench', email: 'b@b' } });
  const objects = () => du(path.join(repo, '.git', 'objects'));
  const repositoryBytes = objects();
  const commitBytes: number[] = [];
  for (let k = 1; k <= COMMITS; k++) {
    // Ten rows spread over the key range, a different ten each time.
    const file = await upsertFile(sql, keyed, spread(ROWS, 10, k / (COMMITS + 1)), k, path.join(DIR, `ten-${k}.parquet`));
    const before = objects();
    dgit(repo, 'import', file, '--table', 'flights', '--mode', 'upsert');
    dgit(repo, 'commit', '-m', `ten ${k}`);
    commitBytes.push(objects() - before);
  }
  const glob = `read_parquet(${lit(path.join(repo, 'tables', 'flights', 'chunks', '**', '*.parquet'))})`;
  const chunks = fs.readdirSync(path.join(repo, 'tables', 'flights', 'chunks'), { recursive: true }).filter((f) => String(f).endsWith('.parquet')).length;
  return {
    chunking: label,
    chunks,
    repositoryBytes,
    commitBytes,
    aggregateMs: await minimumMs(sql, `SELECT count(*), sum(delay), count(DISTINCT origin), max(date) FROM ${glob}`),
    lookupMs: await minimumMs(sql, `SELECT * FROM ${glob} WHERE id = ${Math.floor(ROWS / 3)}`),
  };
}

async function main(): Promise<void> {
  snapshotDist();
  fs.mkdirSync(DIR, { recursive: true });
  const instance = await DuckDBInstance.create(':memory:', { threads: '2', memory_limit: '2GB' });
  const sql = await instance.connect();
  const keyed = path.join(DIR, 'keyed.parquet');
  await sql.run(`COPY (${flightsSelect(ROWS)} ORDER BY hash(i * 17)) TO ${lit(keyed)} (FORMAT parquet)`);
  const rows: Row[] = [];
  for (const chunking of CHUNKINGS) {
    const row = await oneChunking(sql, keyed, chunking);
    process.stderr.write(`${row.chunking}: ${row.chunks} chunks, ${(row.repositoryBytes / 1e6).toFixed(1)} MB, commits +${row.commitBytes.map((b) => (b / 1e3).toFixed(0)).join('/')} KB, scan ${row.aggregateMs.toFixed(0)} ms, lookup ${row.lookupMs.toFixed(0)} ms\n`);
    rows.push(row);
  }
  sql.closeSync();
  instance.closeSync();
  fs.writeFileSync(path.join(OUT, 'chunk-size.json'), JSON.stringify({ rows: ROWS, results: rows }, null, 2) + '\n');
  const pct = (bytes: number, of: number) => `${((bytes / of) * 100).toFixed(1)}%`;
  const lines = [
    `### Chunk size at ${ROWS.toLocaleString('en-US')} rows`,
    '',
    `| chunking (min / mean / max rows) | chunks | repository | a 10-row commit adds (mean of ${COMMITS}, range) | DuckDB scan | point lookup |`,
    '| --- | ---: | ---: | --- | ---: | ---: |',
    ...rows.map((r) => {
      const mean = r.commitBytes.reduce((a, b) => a + b, 0) / r.commitBytes.length;
      const [low, high] = [Math.min(...r.commitBytes), Math.max(...r.commitBytes)];
      return `| ${r.chunking} | ${r.chunks} | ${(r.repositoryBytes / 1e6).toFixed(1)} MB | ${(mean / 1e3).toFixed(0)} KB = ${pct(mean, r.repositoryBytes)} (${pct(low, r.repositoryBytes)} to ${pct(high, r.repositoryBytes)}) | ${r.aggregateMs.toFixed(0)} ms | ${r.lookupMs.toFixed(0)} ms |`;
    }),
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`chunk-size bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
