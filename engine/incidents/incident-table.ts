import type { Repository } from '../repository/repository.js';
import { withAddedColumn, type TableSchema } from '../schema/schema.js';
import type { ObjectId } from '../store/object-store.js';
import { applyEdits } from '../table/apply-edits.js';
import { withTableTree } from '../table/root-tree.js';
import { writeTableTree, type ObjectWriter } from '../table/table-tree.js';
import type { ChunkReader, ChunkWriter, TableVersion } from '../table/table-version.js';
import { compareKeys, type Row } from '../value/value.js';
import { CorruptError } from '../errors/index.js';
import { INCIDENT_COLUMNS, INCIDENTS_TABLE, incidentTableSchema, incidentToRow, rowToIncident, type Incident } from './incident.js';

/** The incidents of a root tree's `_dgit_incidents` table (none when it has no such table). */
export async function readIncidentTable(repository: Repository, root: ObjectId, where: string): Promise<Incident[]> {
  const version = await repository.readTable(root, INCIDENTS_TABLE);
  if (!version) return [];
  checkIncidentSchema(version.schema, where);
  const reader = repository.chunks();
  const incidents: Incident[] = [];
  for (const chunk of version.manifest.chunks) {
    for (const row of await reader.readRows(chunk.id, version.schema.columns)) incidents.push(rowToIncident(version.schema, row, where));
  }
  return incidents;
}

/**
 * A root tree like `root` whose `_dgit_incidents` table holds `incidents` (inserted,
 * or replacing the rows of the same id); the table is created when missing.
 * Objects go to `writer`; nothing becomes visible until the caller's transaction commits.
 */
export async function writeIncidentRows(
  repository: Repository,
  io: { writer: ObjectWriter; chunks: ChunkReader & ChunkWriter },
  root: ObjectId,
  incidents: readonly Incident[],
): Promise<ObjectId> {
  if (incidents.length === 0) return root;
  return withTableTree(repository.store, io.writer, root, INCIDENTS_TABLE, await incidentTableTree(repository, io, root, incidents));
}

/**
 * The tree of `root`'s `_dgit_incidents` table with `incidents` upserted (the table
 * created when missing). `root` must be stored; the new objects go to `io.writer`.
 */
export async function incidentTableTree(
  repository: Repository,
  io: { writer: ObjectWriter; chunks: ChunkReader & ChunkWriter },
  root: ObjectId,
  incidents: readonly Incident[],
): Promise<ObjectId> {
  const existing = await repository.readTable(root, INCIDENTS_TABLE);
  let version: TableVersion = existing ?? { schema: incidentTableSchema(), manifest: { chunks: [] } };
  checkIncidentSchema(version.schema, INCIDENTS_TABLE);
  // A table written by an older dgit lacks today's newer columns: add them (nullable, old chunks read them as null).
  let schema = version.schema;
  for (const column of INCIDENT_COLUMNS) if (!schema.columns.some((c) => c.name === column.name)) schema = withAddedColumn(schema, column.name, column.type);
  version = { schema, manifest: version.manifest };
  const byId = new Map<string, Incident>();
  for (const incident of incidents) byId.set(incident.id, incident);
  const idIndex = schema.columns.findIndex((c) => c.name === 'id');
  const upserts: Row[] = [...byId.values()].map((incident) => incidentToRow(incident, schema));
  upserts.sort((a, b) => compareKeys([a[idIndex]!], [b[idIndex]!]));
  const applied = await applyEdits(schema, version.manifest, { upserts, deletes: [] }, { reader: io.chunks, writer: io.chunks });
  return writeTableTree({ schema, manifest: applied.manifest }, io.writer);
}

/** A `_dgit_incidents` table must be keyed by a text `id` (someone could import a table of that name by hand). */
function checkIncidentSchema(schema: TableSchema, where: string): void {
  const id = schema.columns.find((c) => c.name === 'id');
  if (!id || id.type !== 'Utf8' || schema.primaryKey.length !== 1 || schema.primaryKey[0] !== id.id)
    throw new CorruptError(`${INCIDENTS_TABLE} is not an incident table: it must be keyed by a text column "id"`, where);
  for (const column of INCIDENT_COLUMNS) {
    const present = schema.columns.find((c) => c.name === column.name);
    if (present && present.type !== column.type)
      throw new CorruptError(`${INCIDENTS_TABLE}.${column.name} is ${present.type}, expected ${column.type}`, where);
  }
}
