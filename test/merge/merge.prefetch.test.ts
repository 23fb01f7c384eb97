import { afterEach, describe, expect, it, vi } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { Repository } from '../../engine/repository/repository.js';
import { commit } from '../../engine/commands/commit.js';
import { mergeCommits } from '../../engine/commands/merge.js';
import { chunksMergeReads } from '../../engine/merge/index.js';
import { createTableSchema, type TableSchema } from '../../engine/schema/schema.js';
import { buildTable } from '../../engine/table/build-table.js';
import { withTableTree } from '../../engine/table/root-tree.js';
import { readTableVersion, writeTableTree } from '../../engine/table/table-tree.js';
import { ChunkEncodingPool, encodingWorkerCounts } from '../../engine/store/parquet/chunk-encoding-pool.js';
import { GitChunkStore } from '../../engine/table/git-chunk-store.js';
import { arrowToRows, rowsToArrow } from '../../engine/store/parquet/chunk-codec.js';
import type { CommitId } from '../../engine/store/revision.js';
import type { Row } from '../../engine/value/value.js';
import { dgitOk, gitOut, tempDir } from '../support/cli.js';

// Small chunks (64 rows on average): 20,000 rows make ~300 chunks, and edits spread over them change most.
const small = { hash: 'fnv1a32-fmix-v1' as const, targetRows: 64, minRows: 16, maxRows: 256 };
const schema: TableSchema = createTableSchema([{ name: 'id', type: 'Int64' }, { name: 'v', type: 'Utf8' }], ['id'], small);
const N = 20_000;

async function* batchesOf(rows: Row[]) {
  for (let i = 0; i < rows.length; i += 5000) yield rowsToArrow(schema.columns, rows.slice(i, i + 5000));
}

/** `k` ids spread over the key range, shifted by `phase` of a step, with values tagged `tag`. */
function upsertCsv(dir: string, tag: string, k: number, phase: number): string {
  const ids = Array.from({ length: k }, (_, i) => Math.floor(((i + phase) * N) / k));
  const file = path.join(dir, `${tag}.csv`);
  fs.writeFileSync(file, `id,v\n${ids.map((id) => `${id},${tag} ${id}`).join('\n')}\n`);
  return file;
}

/** A repository with table `t` on main, and branches ours and theirs that each changed `k` rows all over it (one row, 5000, on both). */
async function mergeRepository(k: number): Promise<{ dir: string; ours: CommitId; theirs: CommitId }> {
  const dir = tempDir();
  const { repository } = await Repository.init(dir);
  await repository.changeWorkingSet(async ({ working, tx, chunks }) => {
    const manifest = await buildTable(schema, batchesOf(Array.from({ length: N }, (_, i) => [BigInt(i), `value ${i}`])), chunks, 't');
    return { tree: await withTableTree(repository.store, tx, working.tree, 't', writeTableTree({ schema, manifest }, tx)), result: undefined };
  });
  await commit(repository, { message: 'load' });
  for (const [branch, phase] of [['ours', 0.2], ['theirs', 0.7]] as const) {
    dgitOk(dir, 'switch', '-c', branch, 'main');
    dgitOk(dir, 'import', upsertCsv(dir, branch, k, phase), '--table', 't', '--mode', 'upsert');
    dgitOk(dir, 'import', upsertCsv(dir, `${branch}-both`, 1, 0.25), '--table', 't', '--mode', 'upsert');
    dgitOk(dir, 'commit', '-m', branch);
  }
  const head = (branch: string) => gitOut(dir, 'rev-parse', branch).trim() as CommitId;
  return { dir, ours: head('ours'), theirs: head('theirs') };
}

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe('a merge decodes the chunks that differ ahead, in worker threads', () => {
  it('gives the same tree and conflicts with workers as without, and its workers decode chunks and stop', async () => {
    const { dir, ours, theirs } = await mergeRepository(120);
    const repository = await Repository.open(dir);
    vi.stubEnv('DGIT_WORKERS', '1');
    const alone = await mergeCommits(repository, ours, theirs);
    vi.stubEnv('DGIT_WORKERS', '2');
    const decode = vi.spyOn(ChunkEncodingPool.prototype, 'decode');
    const started = encodingWorkerCounts().started;
    const withWorkers = await mergeCommits(repository, ours, theirs);
    expect(withWorkers.tree).toBe(alone.tree);
    expect(withWorkers.conflicts).toEqual(alone.conflicts);
    // Row 5000 changed on both sides to different values: a conflict found the same way both times.
    expect(alone.conflicts[0]?.conflicts.length).toBe(1);
    expect(decode.mock.calls.length).toBeGreaterThanOrEqual(64);
    // One pool: the workers that decoded ahead also encoded the merged chunks, and are gone.
    expect(encodingWorkerCounts().started - started).toBe(1);
    expect(encodingWorkerCounts().running).toBe(0);
  });

  it('lists the chunks a merge reads: those that differ between base and theirs, and ours\' only where theirs changed too, in key order', async () => {
    const { dir, ours, theirs } = await mergeRepository(20);
    const repository = await Repository.open(dir);
    const version = async (commitId: string) => readTableVersion(repository.store, (await repository.tableTrees((await repository.readCommit(commitId as CommitId)).tree)).get('t')!, 't');
    const base = await version(gitOut(dir, 'rev-parse', 'main').trim());
    const [o, t] = [await version(ours), await version(theirs)];
    const listed = chunksMergeReads(base, o, t);
    const has = (v: typeof base, id: string) => v.manifest.chunks.some((c) => c.id === id);
    // Every chunk that differs between base and theirs; of ours' changes, only those where theirs changed too.
    const theirsDiffer = [...base.manifest.chunks.filter((c) => !has(t, c.id)), ...t.manifest.chunks.filter((c) => !has(base, c.id))].map((c) => c.id);
    expect(listed).toEqual(expect.arrayContaining(theirsDiffer));
    expect(listed.every((id) => ![base, o, t].every((v) => has(v, id)))).toBe(true);
    const oursOnly = o.manifest.chunks.filter((c) => !has(base, c.id)).map((c) => c.id);
    expect(oursOnly.filter((id) => listed.includes(id)).length).toBeLessThan(oursOnly.length);
    // Each side's chunks appear in its own key order.
    for (const side of [o, t]) {
      const mine = listed.filter((id) => side.manifest.chunks.some((c) => c.id === id) && !base.manifest.chunks.some((c) => c.id === id));
      expect(mine).toEqual(side.manifest.chunks.filter((c) => mine.includes(c.id)).map((c) => c.id));
    }
    // Reading through a prefetching store gives the same tables as reading without.
    const plain = new GitChunkStore(repository.store, repository.store.transaction());
    const ahead = new GitChunkStore(repository.store, repository.store.transaction());
    vi.stubEnv('DGIT_WORKERS', '2');
    ahead.prefetch(listed);
    try {
      for (const id of listed.slice(0, 40)) expect(arrowToRows(await ahead.readTable(id), schema.columns)).toEqual(arrowToRows(await plain.readTable(id), schema.columns));
    } finally {
      await ahead.closeWorkers();
    }
  });
});
