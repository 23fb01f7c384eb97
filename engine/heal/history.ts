import { runChecks } from '../checks/run-checks.js';
import type { Repository } from '../repository/repository.js';
import { keyColumnIndexes, type TableSchema } from '../schema/schema.js';
import type { ObjectId } from '../store/object-store.js';
import type { CommitId } from '../store/revision.js';
import type { TableVersion } from '../table/table-version.js';
import { fromJsonValue, rowsEqual, toJsonValue, type Row, type Value } from '../value/value.js';
import { RowLookup } from './row-lookup.js';

/**
 * The healer's use of history: dgit holds every earlier version of every row, so
 * a failing row whose key had a good version is restored rather than guessed at.
 * Everything here walks first parents only and reads, per revision, just the
 * chunks that hold the keys asked about (the manifest lists each chunk's first
 * and last key).
 */

/** How many first-parent commits the healer walks back looking for evidence. */
export const HISTORY_DEPTH = 50;

/** A past revision of a table. */
export interface PastTable {
  commit: CommitId;
  tree: ObjectId;
  version: TableVersion;
}

/** The table at a commit (undefined when the commit has no such table). */
export async function tableAt(repository: Repository, commit: CommitId, table: string): Promise<PastTable | undefined> {
  const tree = (await repository.readCommit(commit)).tree;
  const version = await repository.readTable(tree, table);
  return version ? { commit, tree, version } : undefined;
}

/**
 * The nearest first-parent ancestor of `commit` (not itself) where `check` passed,
 * running that one check there. Undefined when none within HISTORY_DEPTH did.
 */
export async function lastPassingRevision(repository: Repository, commit: CommitId, check: string): Promise<CommitId | undefined> {
  let current = (await repository.readCommit(commit)).parents[0] as CommitId | undefined;
  for (let depth = 0; current && depth < HISTORY_DEPTH; depth++) {
    try {
      const report = await runChecks(repository, current, { only: [check], sampleSize: 0 });
      const result = report.results.find((r) => r.check === check);
      if (result && result.passed && !result.error) return current;
    } catch {
      // dgit.yml was invalid there, or the table missing: not a revision where the check passed.
    }
    current = (await repository.readCommit(current)).parents[0] as CommitId | undefined;
  }
  return undefined;
}

/** Rows of a table version looked up by JSON key, reading only the chunks that hold them. */
export class PastRows {
  private readonly lookup: RowLookup;

  constructor(
    readonly past: PastTable,
    repository: Repository,
  ) {
    this.lookup = new RowLookup(past.version, repository.chunks());
  }

  get schema(): TableSchema {
    return this.past.version.schema;
  }

  /** The row with this key (JSON form), as JSON by column name; undefined when the key is absent or does not fit the past schema. */
  async row(key: Record<string, unknown>): Promise<Record<string, unknown> | undefined> {
    const raw = await this.rawRow(key);
    return raw ? Object.fromEntries(this.schema.columns.map((c, i) => [c.name, toJsonValue(c.type, raw[i] ?? null)])) : undefined;
  }

  /** The row with this key in the past schema's column order. */
  async rawRow(key: Record<string, unknown>): Promise<Row | undefined> {
    const values = this.keyValues(key);
    if (!values) return undefined;
    return (await this.lookup.rowsWithKey(values))[0];
  }

  private keyValues(key: Record<string, unknown>): Value[] | undefined {
    const values: Value[] = [];
    for (const index of keyColumnIndexes(this.schema)) {
      const column = this.schema.columns[index]!;
      if (!(column.name in key)) return undefined;
      try {
        values.push(fromJsonValue(column.type, key[column.name], column.name));
      } catch {
        return undefined;
      }
    }
    return values;
  }
}

/**
 * The commit that brought each row (by key) in as it is now: walking back from
 * `commit`, the last commit before the row was absent or different. Rows still
 * the same at the end of the walk get the oldest commit reached (their load is
 * older than every other in the window). Depth 0 is `commit` itself.
 */
export async function loadOrder(repository: Repository, commit: CommitId, table: string, keys: ReadonlyArray<Record<string, unknown>>): Promise<Map<string, { commit: CommitId; depth: number }>> {
  const out = new Map<string, { commit: CommitId; depth: number }>();
  const now = await tableAt(repository, commit, table);
  if (!now) return out;
  const current = new PastRows(now, repository);
  const rows = new Map<string, Row | undefined>();
  for (const key of keys) rows.set(JSON.stringify(key), await current.rawRow(key));
  let pending = keys.map((key) => JSON.stringify(key));
  let child: CommitId = commit;
  let depth = 0;
  for (; pending.length > 0 && depth < HISTORY_DEPTH; depth++) {
    const parent = (await repository.readCommit(child)).parents[0] as CommitId | undefined;
    const past = parent ? await tableAt(repository, parent, table) : undefined;
    const reader = past ? new PastRows(past, repository) : undefined;
    const still: string[] = [];
    for (const text of pending) {
      const before = reader ? await reader.rawRow(JSON.parse(text) as Record<string, unknown>) : undefined;
      const row = rows.get(text);
      if (before && row && past && sameShape(past.version.schema, now.version.schema) && rowsEqual(before, row)) still.push(text);
      else out.set(text, { commit: child, depth });
    }
    pending = still;
    if (!parent) break;
    child = parent;
  }
  for (const text of pending) out.set(text, { commit: child, depth });
  return out;
}

function sameShape(a: TableSchema, b: TableSchema): boolean {
  return a.columns.length === b.columns.length && a.columns.every((c, i) => c.name === b.columns[i]!.name && c.type === b.columns[i]!.type);
}
