/**
 * Baseline child process: DuckDB `EXCEPT` both ways over two Parquet files, the
 * rows read back into JS. Prints JSON: in-process query seconds, rows, peak RSS.
 * Usage: node duck-except.js A.parquet B.parquet
 */
const started = process.hrtime.bigint();
const { DuckDBInstance } = await import('@duckdb/node-api');
const [a, b] = process.argv.slice(2);
if (!a || !b) throw new Error('usage: duck-except A.parquet B.parquet');
const loaded = process.hrtime.bigint();
const instance = await DuckDBInstance.create(':memory:');
const connection = await instance.connect();
const lit = (p: string) => `'${p.replaceAll("'", "''")}'`;
const query = `SELECT 'deleted' AS side, * FROM (SELECT * FROM read_parquet(${lit(a)}) EXCEPT SELECT * FROM read_parquet(${lit(b)}))
  UNION ALL SELECT 'added' AS side, * FROM (SELECT * FROM read_parquet(${lit(b)}) EXCEPT SELECT * FROM read_parquet(${lit(a)}))`;
const queryStarted = process.hrtime.bigint();
const reader = await connection.runAndReadAll(query);
const rows = reader.getRows().length;
const done = process.hrtime.bigint();
connection.closeSync();
instance.closeSync();
process.stdout.write(
  JSON.stringify({
    rows,
    loadSeconds: Number(loaded - started) / 1e9,
    querySeconds: Number(done - queryStarted) / 1e9,
    maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  }) + '\n',
);
export {};
