/** The synthetic flights-schema table of the scale benchmark, shared by bench/scale.ts and bench/scale-fixture.ts. */

/** A SQL string literal for DuckDB. */
export const sqlLiteral = (text: string) => `'${text.replaceAll("'", "''")}'`;

/** The flights schema over ids 1..n, from DuckDB's deterministic hash. */
export function flightsSelect(n: number): string {
  return `SELECT i AS id, TIMESTAMP '2001-01-01' + to_minutes((hash(i) % 525600)::BIGINT) AS date,
    (hash(i * 3) % 240)::BIGINT - 40 AS delay, (hash(i * 7) % 2700)::BIGINT + 30 AS distance,
    'A' || lpad(((hash(i * 11) % 300))::VARCHAR, 3, '0') AS origin, 'A' || lpad(((hash(i * 13) % 300))::VARCHAR, 3, '0') AS destination
    FROM range(1, ${n + 1}) t(i)`;
}
