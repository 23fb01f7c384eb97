import { commitTables, newRepository, yaml } from '../checks/check-fixtures.js';
import type { Repository } from '../../engine/repository/repository.js';
import type { CommitId } from '../../engine/store/revision.js';
import { applyEdits } from '../../engine/table/apply-edits.js';
import { GitChunkStore } from '../../engine/table/git-chunk-store.js';
import { withTableTree } from '../../engine/table/root-tree.js';
import { writeTableTree } from '../../engine/table/table-tree.js';
import { fromJsonValue, type Row } from '../../engine/value/value.js';
import { keyColumnIndexes } from '../../engine/schema/schema.js';

/** The rules main must keep: scores present and within 0..100, codes unique (a rule two clean merges can break together). */
export const QUEUE_CHECKS = yaml(
  'version: 1',
  'tables:',
  '  t:',
  '    checks:',
  '      - kind: not_null',
  '        column: score',
  '      - kind: range',
  '        column: score',
  '        min: 0',
  '        max: 100',
  '      - kind: unique',
  '        column: code',
);

export type ScoreRow = {
  id: number;
  score: number | null;
  code: string;
};

/** Row `id` of the starting table: a valid score and a code of its own. */
export function baseRow(id: number): ScoreRow {
  return { id, score: (id * 7) % 100, code: `c${id}` };
}

/** A repository whose main holds t(id key, score, code) with `rows` valid rows and dgit.yml's checks, committed. */
export async function queueRepository(rows = 12): Promise<{ repository: Repository; dir: string; base: CommitId }> {
  const { repository, dir } = await newRepository();
  const base = (await commitTables(repository, 'base', { t: { rows: Array.from({ length: rows }, (_, i) => baseRow(i + 1)), key: ['id'] } }, QUEUE_CHECKS)) as CommitId;
  return { repository, dir, base };
}

/**
 * Commit row edits of table t on `branch` without touching any working set or
 * file (as a pushed branch arrives): the branch is created at `from` (default
 * main) when it does not exist. Returns the new commit.
 */
export async function commitOnBranch(
  repository: Repository,
  branch: string,
  edits: { upsert?: ScoreRow[]; delete?: number[] },
  options: { from?: string; message?: string } = {},
): Promise<CommitId> {
  const existing = await repository.branchHead(branch);
  const parent = existing ?? (await repository.resolve(options.from ?? 'main'));
  const parentTree = (await repository.readCommit(parent)).tree;
  const version = await repository.requireTable(parentTree, 't', branch);
  const { schema } = version;
  const toRow = (row: ScoreRow): Row => schema.columns.map((c) => fromJsonValue(c.type, (row as unknown as Record<string, unknown>)[c.name] ?? null, branch));
  const keyType = schema.columns[keyColumnIndexes(schema)[0]!]!.type;
  const tx = repository.store.transaction();
  try {
    const chunks = new GitChunkStore(repository.store, tx);
    const upserts = (edits.upsert ?? []).map(toRow);
    const deletes = (edits.delete ?? []).map((id) => [fromJsonValue(keyType, id, branch)]);
    const applied = await applyEdits(schema, version.manifest, { upserts, deletes }, { reader: chunks, writer: chunks });
    const tree = await withTableTree(repository.store, tx, parentTree, 't', writeTableTree({ schema, manifest: applied.manifest }, tx));
    const signature = await repository.signature();
    const commit = repository.writeCommit(tx, { tree, parents: [parent], author: signature, committer: signature, message: options.message ?? `edit on ${branch}\n` });
    tx.commit();
    await repository.refs.compareAndSwap(`refs/heads/${branch}`, existing, commit);
    return commit;
  } catch (error) {
    tx.discard();
    throw error;
  }
}

/** The rows of t at a revision, by id. */
export async function tableRows(repository: Repository, rev: string): Promise<Map<number, ScoreRow>> {
  const tree = (await repository.readCommit(await repository.resolve(rev))).tree;
  const version = await repository.requireTable(tree, 't', rev);
  const chunks = repository.chunks();
  const out = new Map<number, ScoreRow>();
  for (const entry of version.manifest.chunks) {
    for (const row of await chunks.readRows(entry.id, version.schema.columns)) {
      const record = Object.fromEntries(version.schema.columns.map((c, i) => [c.name, typeof row[i] === 'bigint' ? Number(row[i]) : row[i]])) as unknown as ScoreRow;
      out.set(record.id, record);
    }
  }
  return out;
}
