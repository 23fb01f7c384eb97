import { DuckDBInstance } from '@duckdb/node-api';

/** Run SQL in a throwaway in-memory DuckDB and return the rows as JSON-friendly objects. */
export async function duck(sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const statements = sql.split(/;\s*\n/).filter((s) => s.trim() !== '');
    let rows: Record<string, unknown>[] = [];
    for (const statement of statements) {
      const reader = await connection.runAndReadAll(statement);
      rows = reader.getRowObjectsJson() as Record<string, unknown>[];
    }
    return rows;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
