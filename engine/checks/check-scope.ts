import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ChunkEntry } from '../chunking/manifest.js';
import { checkDefinitionKey, ROW_LOCAL_KINDS, type ConfiguredCheck } from '../config/configured-check.js';
import { serializeTableSchema } from '../schema/schema.js';
import type { ObjectId } from '../store/object-store.js';
import type { TableVersion } from '../table/table-version.js';
import { tempSibling } from '../store/atomic-file.js';

/**
 * Incremental checking. A row-local check (not_null, accepted_values, range,
 * pattern) passes on a table exactly when it passes on each of its chunks. So
 * when the check, with the same definition, passed on the parent's version of the
 * table, and the schema is the same (each chunk reads the same way), the chunks
 * shared with the parent are known to pass and only the chunks that are new need
 * reading. Whether it passed on the parent is a pure function of the parent
 * table's tree id (schema and every chunk) and the definition, so passes are
 * remembered under that pair in `.git/dgit/cache/checks/`, like the chunk file
 * cache: losing it only makes the next run read everything. When the parent
 * failed, has no record, or there is no parent, the check reads the whole table.
 */

/**
 * Bumped when the meaning of a recorded verdict changes, which retires older records.
 * 2: a range check fails NaN (format 1 recorded passes of float columns holding NaN).
 */
const VERDICT_FORMAT = 2;

/** The chunks a check reads. */
export type ChunkScope = { kind: 'table' } | { kind: 'changed-chunks'; chunks: ChunkEntry[] };

/** Remembered passes of row-local checks, by table tree and check definition. */
export class CheckVerdictCache {
  readonly dir: string;
  private readonly format: number;

  /** A `format` other than the current one reads and writes the records of an older dgit (as tests do). */
  constructor(gitdir: string, format = VERDICT_FORMAT) {
    this.dir = path.join(gitdir, 'dgit', 'cache', 'checks');
    this.format = format;
  }

  /** Whether `check` is recorded as passing on the table whose tree is `tableTree`. */
  passed(tableTree: ObjectId, check: ConfiguredCheck): boolean {
    return fs.existsSync(this.file(tableTree, check));
  }

  /** Record that `check` passed on the table whose tree is `tableTree`. Best effort: a cache that cannot be written only costs speed. */
  recordPass(tableTree: ObjectId, check: ConfiguredCheck): void {
    const target = this.file(tableTree, check);
    if (fs.existsSync(target)) return;
    try {
      fs.mkdirSync(path.dirname(target), { recursive: true });
      const temp = tempSibling(target);
      fs.writeFileSync(temp, 'passed\n');
      fs.renameSync(temp, target);
    } catch {
      // Read-only repository or full disk: the next run reads the whole table.
    }
  }

  private file(tableTree: ObjectId, check: ConfiguredCheck): string {
    const key = crypto.createHash('sha256').update(`${this.format}\n${tableTree}\n${checkDefinitionKey(check)}`).digest('hex');
    return path.join(this.dir, key.slice(0, 2), key);
  }
}

/** The table at the parent revision, with its tree id. */
export interface ParentTable {
  tree: ObjectId;
  version: TableVersion;
}

/** Which chunks `check` must read: only the new ones when the parent's table passed it and the schema is unchanged. */
export function chunkScope(
  check: ConfiguredCheck,
  table: TableVersion,
  parent: ParentTable | undefined,
  verdicts: CheckVerdictCache,
  options: { incremental: boolean },
): ChunkScope {
  if (!options.incremental || !ROW_LOCAL_KINDS.has(check.kind) || !parent) return { kind: 'table' };
  if (serializeTableSchema(parent.version.schema) !== serializeTableSchema(table.schema)) return { kind: 'table' };
  if (!verdicts.passed(parent.tree, check)) return { kind: 'table' };
  const shared = new Set<string>(parent.version.manifest.chunks.map((c) => c.id));
  // Entries, not ids: a keyless table may hold one chunk twice, and each copy's rows count.
  return { kind: 'changed-chunks', chunks: table.manifest.chunks.filter((c) => !shared.has(c.id)) };
}
