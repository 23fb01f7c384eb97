/**
 * Builds the scale benchmark's table once, for profiling by hand: the flights-schema
 * table of BENCH_SCALE_SIZES rows (default 3,000,000) imported and committed into
 * bench/out/scale-fixture/<rows>/repo, with the keyed Parquet beside it. Later
 * experiments copy the repository instead of rebuilding it (an import of 3M rows
 * costs about ten CPU seconds).
 */
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { OUT, dgit } from './lib.js';
import { flightsSelect, sqlLiteral } from './flights-select.js';

async function main(): Promise<void> {
  const sizes = (process.env.BENCH_SCALE_SIZES ?? '3000000').split(',').map(Number);
  const instance = await DuckDBInstance.create(':memory:', { threads: '2', memory_limit: '2GB' });
  const sql = await instance.connect();
  for (const n of sizes) {
    const dir = path.join(OUT, 'scale-fixture', String(n));
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(path.join(dir, 'repo'), { recursive: true });
    const keyed = path.join(dir, 'keyed.parquet');
    await sql.run(`COPY (${flightsSelect(n)} ORDER BY hash(i * 17)) TO ${sqlLiteral(keyed)} (FORMAT parquet)`);
    const repo = path.join(dir, 'repo');
    dgit(repo, 'init');
    dgit(repo, 'import', keyed, '--table', 'flights', '--key', 'id');
    dgit(repo, 'commit', '-m', 'import');
    process.stderr.write(`built ${repo}\n`);
  }
  sql.closeSync();
  instance.closeSync();
}

main().catch((error: unknown) => {
  process.stderr.write(`fixture failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
