import { validateTableName } from '../schema/schema.js';
import { NotFoundError } from '../errors/index.js';
import { manifestRowCount } from '../chunking/manifest.js';
import type { Progress } from '../progress.js';
import type { Repository } from '../repository/repository.js';
import { openRevisionSession } from '../repository/revision-views.js';
import { explainingWideTables } from '../sql/wide-table-limit.js';
import { exportFormatFromPath, exportTable as writeTable, type ExportFormat } from '../export/export-table.js';

/**
 * Write table `table` as it is at `rev` (default: the working set) to a file, '-' (stdout) or a stream;
 * the format defaults to the file's extension, else CSV.
 */
export async function exportTable(
  repository: Repository,
  table: string,
  options: { rev?: string; format?: ExportFormat; output: string | NodeJS.WritableStream; progress?: Progress },
): Promise<{ table: string; rows: number }> {
  const format = options.format ?? (typeof options.output === 'string' && options.output !== '-' ? exportFormatFromPath(options.output) : 'csv');
  validateTableName(table);
  const revision = await repository.revision(options.rev);
  const opened = await openRevisionSession(repository, revision.tree, { only: [table] });
  try {
    const version = opened.tables.get(table);
    if (!version) {
      await repository.requireTable(revision.tree, table, options.rev ?? 'working set'); // names the tables there are
      throw new NotFoundError(`table ${JSON.stringify(table)}`, options.rev ?? 'working set');
    }
    const { columns } = version.schema;
    const { rows } = await explainingWideTables(columns.length, `dgit export to ${format}`, () =>
      writeTable({ session: opened.session, view: table, columns, format, output: options.output, progress: options.progress, totalRows: manifestRowCount(version.manifest) }),
    );
    return { table, rows };
  } finally {
    await opened.close();
  }
}
