import { sameChunkList } from '../chunking/manifest-pages.js';
import type { Progress } from '../progress.js';
import { isKeyless, keyColumnIndexes, type TableSchema } from '../schema/schema.js';
import type { ChunkReader, TableVersion } from '../table/table-version.js';
import { projectSide, type JoinPlan } from './column-alignment.js';
import { DiffCounter, type ColumnChangeCount, type DiffSummary } from './diff-summary.js';
import { KeyChangePairing } from './key-change-pairing.js';
import type { DiffColumn, RowChange } from './row-change.js';
import { joinBagRows, joinKeyedRows } from './row-join.js';
import { diffSchemas, hasSchemaChanges, retypedColumns, type SchemaChanges } from './schema-diff.js';

export type TableStatus = 'added' | 'deleted' | 'modified' | 'unchanged';

export interface DiffOptions {
  /**
   * Show a deleted row and an added row whose non-key cells are all equal as one
   * modified row whose key changed (dolt#7808). Default true.
   */
  pairKeyChanges?: boolean;
  /** Most changes held in memory while looking for such pairs. Default 10,000. */
  keyChangeWindow?: number;
  /**
   * Told how far each walk of the rows is: `done` of `total` chunks of both sides
   * (read, or skipped as equal), phase "Comparing chunks". The walk runs while
   * `rows` is read, so the events come as the caller consumes the diff.
   */
  progress?: Progress;
}

/** The difference between two versions of one table. */
export interface TableDiff {
  status: TableStatus;
  from: TableSchema | undefined;
  to: TableSchema | undefined;
  /** Columns of both sides matched by id; rows of `rows` are aligned to them. */
  columns: DiffColumn[];
  /** Indexes into `columns` of the key, in key order (every column for a keyless table). */
  keyColumns: number[];
  keyless: boolean;
  schema: SchemaChanges;
  /**
   * Changed rows in key order, streamed: reading them reads only the chunks that
   * differ. Each iteration walks the tables again.
   */
  rows: AsyncIterable<RowChange>;
}

/** The counts of a diff without its rows. */
export interface DiffStat {
  status: TableStatus;
  schema: SchemaChanges;
  summary: DiffSummary;
  columnChanges: ColumnChangeCount[];
}

const DEFAULT_KEY_CHANGE_WINDOW = 10_000;

/**
 * The diff of a table from one version to another (undefined: the table is not
 * there). Equal chunk ids are skipped unread, so the cost grows with the change,
 * not the table; differing key ranges are merge-joined on the key.
 */
export async function diffTables(
  from: TableVersion | undefined,
  to: TableVersion | undefined,
  reader: ChunkReader,
  options: DiffOptions = {},
): Promise<TableDiff> {
  const { columns, keyColumns, keyless, plan } = diffPlan(from, to);
  const schema = diffSchemas(from?.schema, to?.schema);
  const makeRows = () => rowChanges(plan, reader, options);
  let status: TableStatus | undefined = !from && !to ? 'unchanged' : !from ? 'added' : !to ? 'deleted' : undefined;
  if (status === undefined && hasSchemaChanges(schema)) status = 'modified';
  if (status === undefined && sameChunks(from!, to!)) status = 'unchanged';
  let rows: AsyncIterable<RowChange> = { [Symbol.asyncIterator]: () => makeRows() };
  if (status === undefined) {
    // Whether rows changed is known only by looking: chunk ids can differ while rows are equal.
    const generator = makeRows();
    const first = await generator.next();
    status = first.done ? 'unchanged' : 'modified';
    let peeked = true;
    rows = {
      [Symbol.asyncIterator]: () => {
        if (!peeked) return makeRows();
        peeked = false;
        return (async function* () {
          if (first.done) return;
          yield first.value;
          yield* generator;
        })();
      },
    };
  } else if (status === 'unchanged') {
    rows = { [Symbol.asyncIterator]: () => (async function* (): AsyncGenerator<RowChange> {})() };
  }
  return { status, from: from?.schema, to: to?.schema, columns, keyColumns, keyless, schema, rows };
}

/** Only the counts of `diffTables`: the same walk, keeping no rows. */
export async function diffStat(
  from: TableVersion | undefined,
  to: TableVersion | undefined,
  reader: ChunkReader,
  options: DiffOptions = {},
): Promise<DiffStat> {
  const diff = await diffTables(from, to, reader, options);
  const counter = new DiffCounter(diff.columns);
  for await (const change of diff.rows) counter.add(change);
  return { status: diff.status, schema: diff.schema, summary: counter.summary, columnChanges: counter.columnChanges() };
}

function sameChunks(a: TableVersion, b: TableVersion): boolean {
  return sameChunkList(a, b);
}

/** The columns a diff compares in (the union by id) and the key it joins on (that of `to`, else `from`). */
function diffPlan(
  from: TableVersion | undefined,
  to: TableVersion | undefined,
): { columns: DiffColumn[]; keyColumns: number[]; keyless: boolean; plan: JoinPlan } {
  const toColumns = to?.schema.columns ?? [];
  const fromColumns = from?.schema.columns ?? [];
  const fromById = new Map(fromColumns.map((c) => [c.id, c]));
  const toIds = new Set(toColumns.map((c) => c.id));
  const retyped = retypedColumns(fromColumns, toColumns);
  const columns: DiffColumn[] = [];
  for (const column of toColumns) {
    const before = fromById.get(column.id) ?? fromColumns.find((c) => retyped.get(c.id) === column.id);
    const entry: DiffColumn = { id: column.id, name: column.name, type: column.type, afterName: column.name };
    if (before) entry.beforeName = before.name;
    columns.push(entry);
  }
  for (const column of fromColumns) {
    if (!toIds.has(column.id) && !retyped.has(column.id)) columns.push({ id: column.id, name: column.name, type: column.type, beforeName: column.name });
  }
  const keySchema = (to ?? from)?.schema;
  const keyless = keySchema ? isKeyless(keySchema) : false;
  // Columns only `from` has come last and are not compared (unless the table is gone altogether).
  const comparedColumns = to ? toColumns.length : columns.length;
  let keyColumns: number[];
  if (!keySchema || keyless) keyColumns = columns.slice(0, comparedColumns).map((_, i) => i);
  else keyColumns = keyColumnIndexes(keySchema).map((i) => columns.findIndex((c) => c.id === keySchema.columns[i]!.id));
  const plan: JoinPlan = {
    columns,
    keyIndexes: keyColumns,
    keyless,
    comparedColumns,
    from: projectSide(from, columns, keyColumns, keyless, (c) => retyped.get(c.id) ?? c.id),
    to: projectSide(to, columns, keyColumns, keyless),
  };
  return { columns, keyColumns, keyless, plan };
}

/** The progress hook of one walk over both sides' chunks (undefined when nobody listens). */
function chunkProgress(plan: JoinPlan, progress: Progress | undefined): (() => void) | undefined {
  if (!progress) return undefined;
  const total = (plan.from.version?.manifest.chunks.length ?? 0) + (plan.to.version?.manifest.chunks.length ?? 0);
  let done = 0;
  progress({ phase: 'Comparing chunks', done, total, unit: 'chunks' });
  return () => progress({ phase: 'Comparing chunks', done: ++done, total, unit: 'chunks' });
}

async function* rowChanges(plan: JoinPlan, reader: ChunkReader, options: DiffOptions): AsyncGenerator<RowChange> {
  const columns = plan.columns as DiffColumn[];
  const passed = chunkProgress(plan, options.progress);
  if (plan.keyless) {
    for await (const delta of joinBagRows(plan, reader, passed)) {
      const extra = delta.afterCount - delta.beforeCount;
      for (let i = 0; i < Math.abs(extra); i++) {
        yield extra > 0 ? { status: 'added', key: delta.row, after: delta.row } : { status: 'deleted', key: delta.row, before: delta.row };
      }
    }
    return;
  }
  const pairing =
    options.pairKeyChanges === false ? undefined : new KeyChangePairing(columns, plan.keyIndexes, plan.comparedColumns, options.keyChangeWindow ?? DEFAULT_KEY_CHANGE_WINDOW);
  for await (const delta of joinKeyedRows(plan, reader, passed)) {
    let change: RowChange;
    if (!delta.after) change = { status: 'deleted', key: delta.key, before: delta.before! };
    else if (!delta.before) change = { status: 'added', key: delta.key, after: delta.after };
    else
      change = {
        status: 'modified',
        key: delta.key,
        before: delta.before,
        after: delta.after,
        changed: delta.changed.map((i) => columns[i]!.name),
        changedColumns: delta.changed,
      };
    if (!pairing) {
      yield change;
      continue;
    }
    pairing.push(change);
    yield* pairing.ready();
  }
  if (pairing) yield* pairing.flush();
}
