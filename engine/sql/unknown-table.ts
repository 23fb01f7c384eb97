import { UnknownNameError } from '../errors/index.js';

/**
 * DuckDB's catalog error for a table the statement names and the revision lacks,
 * as dgit's usage error listing the tables there are (DuckDB's own hint points at
 * its system views, such as pg_sequences). Undefined for any other error.
 */
export function unknownTableError(error: unknown, tables: Iterable<string>, where: string): UnknownNameError | undefined {
  const message = error instanceof Error ? error.message : String(error);
  const name = /^Catalog Error: Table with name (.+?) does not exist!/.exec(message.trim())?.[1];
  return name === undefined ? undefined : new UnknownNameError('table', name, [...tables].sort(), where);
}
