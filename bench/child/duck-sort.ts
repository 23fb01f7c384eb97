/**
 * Baseline child process: DuckDB's sorted copy of a file to ZSTD Parquet (what an
 * import does at the least: read, sort by key, write columnar). Usage: node duck-sort.js IN OUT KEY
 */
const { DuckDBInstance } = await import('@duckdb/node-api');
const [input, output, key] = process.argv.slice(2);
if (!input || !output || !key) throw new Error('usage: duck-sort IN OUT KEY');
const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
const connection = await instance.connect();
const lit = (p: string) => `'${p.replaceAll("'", "''")}'`;
const from = input.endsWith('.csv') ? `read_csv(${lit(input)})` : `read_parquet(${lit(input)})`;
await connection.run(`COPY (SELECT * FROM ${from} ORDER BY "${key}") TO ${lit(output)} (FORMAT parquet, COMPRESSION zstd)`);
connection.closeSync();
instance.closeSync();
export {};
