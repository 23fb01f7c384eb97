import { manifestRowCount } from '../chunking/manifest.js';
import type { Repository } from '../repository/repository.js';
import { keyColumnNames } from '../schema/schema.js';
import type { ColumnType } from '../schema/types.js';
import { readTableVersion } from '../table/table-tree.js';

export interface TableInfo {
  table: string;
  rows: number;
  /** Key column names; empty for a keyless table. */
  key: string[];
  columns: Array<{ name: string; type: ColumnType; nullable: boolean }>;
  chunks: number;
  /** How the chunk list is stored: `paged` (manifest/ pages, what dgit writes) or `flat` (one manifest.json, older repositories). */
  manifest: 'flat' | 'paged';
}

/** The tables at a revision (default: the working set). */
export async function listTables(repository: Repository, rev?: string): Promise<TableInfo[]> {
  const revision = await repository.revision(rev);
  const trees = await repository.tableTrees(revision.tree);
  const out: TableInfo[] = [];
  for (const [table, tree] of [...trees].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const { schema, manifest, storage } = await readTableVersion(repository.store, tree, table);
    out.push({
      table,
      rows: manifestRowCount(manifest),
      key: keyColumnNames(schema),
      columns: schema.columns.map((c) => ({ name: c.name, type: c.type, nullable: c.nullable })),
      chunks: manifest.chunks.length,
      manifest: storage?.form ?? 'paged',
    });
  }
  return out;
}
