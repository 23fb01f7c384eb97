/** The synthetic flights-schema table of the scale benchmark, shared by bench/scale.ts, bench/scale-fixture.ts and bench/chunk-size.ts. */
import type { DuckDBConnection } from '@duckdb/node-api';

/** A SQL string literal for DuckDB. */
export const sqlLiteral = (text: string) => `'${text.replaceAll("'", "''")}'`;

/** The flights schema over ids 1..n, from DuckDB's deterministic hash. */
export function flightsSelect(n: number): string {
  return `SELECT i AS id, TIMESTAMP '2001-01-01' + to_minutes((hash(i) % 525600)::BIGINT) AS date,
    (hash(i * 3) % 240)::BIGINT - 40 AS delay, (hash(i * 7) % 2700)::BIGINT + 30 AS distance,
    'A' || lpad(((hash(i * 11) % 300))::VARCHAR, 3, '0') AS origin, 'A' || lpad(((hash(i * 13) % 300))::VARCHAR, 3, '0') AS destination
    FROM range(1, ${n + 1}) t(i)`;
}

/** Ids `count` of 1..n spread evenly over the key range, offset by `phase` of a step. */
export const spread = (n: number, count: number, phase = 0.5): number[] => Array.from({ length: count }, (_, i) => 1 + Math.floor(((i + phase) * n) / count));

/** A Parquet file of the rows with `ids` from `keyed`, their delay moved by `delta`: an upsert that changes those rows. */
export async function upsertFile(sql: DuckDBConnection, keyed: string, ids: number[], delta: number, file: string): Promise<string> {
  await sql.run(
    `COPY (SELECT id, date, delay + ${delta} AS delay, distance, origin, destination FROM read_parquet(${sqlLiteral(keyed)}) WHERE id IN (${ids.join(',')}) ORDER BY id) TO ${sqlLiteral(file)} (FORMAT parquet)`,
  );
  return file;
}
