import { DgitError } from '../errors/index.js';
import { WIDE_COLUMNS } from '../schema/wide.js';

/** Whether DuckDB's error is it running out of memory (or of temp space to spill to). */
export function isDuckDbOutOfMemory(message: string): boolean {
  return /Out of Memory Error|failed to allocate|exceeds? the memory limit|max_temp_directory_size/i.test(message);
}

/**
 * Runs `work`, which has DuckDB load or write every column of a table of `columns`
 * columns, and says what DuckDB's out-of-memory error means when the table is wide:
 * DuckDB gives every column of a table it fills, and every column its Parquet writer
 * writes, about two 256 KiB blocks per thread before the first row, so thousands of
 * columns run out of memory whatever the row count. Import and text or Arrow export
 * avoid it by groups of columns (engine/import/column-groups.ts, readStagedGroups);
 * `what` has no such path yet.
 */
export async function explainingWideTables<T>(columns: number, what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw wideTableError(error, columns, what);
  }
}

/** The error to throw for `error`, raised while `what` had DuckDB hold all `columns` columns of a table: see explainingWideTables. */
export function wideTableError(error: unknown, columns: number, what: string): unknown {
  const message = error instanceof Error ? error.message : String(error);
  if (columns <= WIDE_COLUMNS || !isDuckDbOutOfMemory(message)) return error;
  return new DgitError(
    'UNSUPPORTED',
    `${what} of a table of ${columns} columns ran out of memory in DuckDB, which needs about 0.5 MiB per column ` +
      `(${Math.round(columns / 2)} MiB here) before the first row; dgit cannot do this for a table this wide yet ` +
      `(import, SELECT, diff, merge, commit and export to CSV, NDJSON or Arrow can). Select the columns you need with dgit sql instead`,
    what,
    { cause: error },
  );
}
