/**
 * How much tree and page work a small edit does, by table size: builds keyed
 * tables of BENCH_EDIT_SIZES rows with small chunks (64 rows on average), then
 * upserts BENCH_EDIT_ROWS rows spread over the key range the way `dgit import
 * --mode upsert` does (read the table, apply the edits, write the table tree), and
 * prints the objects hashed (every `write` call, stored or found again), the
 * objects read, and the milliseconds of the tree-writing step (with the reads
 * of the previous tree it reuses). Run after
 * `npm run build`: `node dist/bench/edit-objects.js`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Repository } from '../engine/repository/repository.js';
import { commit } from '../engine/commands/commit.js';
import { createTableSchema, type TableSchema } from '../engine/schema/schema.js';
import { applyEdits } from '../engine/table/apply-edits.js';
import { buildTable } from '../engine/table/build-table.js';
import { withTableTree } from '../engine/table/root-tree.js';
import { previousTableTree, writeTableTree, type ObjectWriter } from '../engine/table/table-tree.js';
import { rowsToArrow } from '../engine/store/parquet/chunk-codec.js';
import { hashObject, type ObjectId, type ObjectType } from '../engine/store/object-store.js';
import type { Row } from '../engine/value/value.js';

/** BENCH_EDIT_FROM_SCRATCH=1 writes the edited table tree without the previous one (as dgit did before it reused it). */
const fromScratch = process.env.BENCH_EDIT_FROM_SCRATCH === '1';
const small = { hash: 'fnv1a32-fmix-v1' as const, targetRows: 64, minRows: 16, maxRows: 256 };
const schema: TableSchema = createTableSchema([{ name: 'id', type: 'Int64' }, { name: 'v', type: 'Utf8' }], ['id'], small);

async function* batchesOf(n: number) {
  for (let i = 0; i < n; i += 10000) {
    const rows: Row[] = [];
    for (let j = i; j < Math.min(n, i + 10000); j++) rows.push([BigInt(j), `value ${j}`]);
    yield rowsToArrow(schema.columns, rows);
  }
}

/** A writer that counts what it is asked to write, by type. */
function counting(inner: ObjectWriter, counts: Record<string, number>): ObjectWriter {
  return {
    write: (type: ObjectType, content: Uint8Array): ObjectId => {
      counts[type] = (counts[type] ?? 0) + 1;
      return inner.write(type, content);
    },
    writeChunk: inner.writeChunk?.bind(inner),
    chunksOutsideGit: inner.chunksOutsideGit,
  };
}

async function measure(size: number, editRows: number): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dgit-edit-objects-'));
  try {
    const { repository } = await Repository.init(dir);
    await repository.changeWorkingSet(async ({ working, tx, chunks }) => {
      const manifest = await buildTable(schema, batchesOf(size), chunks, 't');
      return { tree: await withTableTree(repository.store, tx, working.tree, 't', writeTableTree({ schema, manifest }, tx)), result: undefined };
    });
    await commit(repository, { message: 'load' });
    const reads: Record<string, number> = {};
    const store = repository.store;
    const read = store.read.bind(store);
    store.read = async (oid: ObjectId) => {
      const object = await read(oid);
      reads[object.type] = (reads[object.type] ?? 0) + 1;
      return object;
    };
    const writes: Record<string, number> = {};
    let treeMs = 0;
    let warm = { scratch: 0, reuse: 0 };
    let chunkCount = 0;
    await repository.changeWorkingSet(async ({ working, tx, chunks }) => {
      const current = (await repository.readTable(working.tree, 't'))!;
      chunkCount = current.manifest.chunks.length;
      const upserts: Row[] = Array.from({ length: editRows }, (_, i) => {
        const id = Math.floor(((i + 0.5) * size) / editRows);
        return [BigInt(id), `changed ${id}`];
      });
      const applied = await applyEdits(schema, current.manifest, { upserts, deletes: [] }, { reader: chunks, writer: chunks });
      const started = performance.now();
      const tableTree = (await repository.tableTrees(working.tree)).get('t')!;
      const previous = fromScratch ? undefined : await previousTableTree(repository.store, tableTree, 't', current);
      const tree = writeTableTree({ schema, manifest: applied.manifest }, counting(tx, writes), previous);
      treeMs = performance.now() - started;
      // The tree step alone, warm, median of 7: hash each object and look it up as a transaction does (nothing staged).
      const probe: ObjectWriter = {
        write: (type, content) => {
          const id = hashObject(type, content);
          repository.store.hasStored(id);
          return id;
        },
      };
      const timed = (withPrevious: boolean) => {
        const runs: number[] = [];
        for (let r = 0; r < 7; r++) {
          const at = performance.now();
          writeTableTree({ schema, manifest: applied.manifest }, probe, withPrevious ? previous : undefined);
          runs.push(performance.now() - at);
        }
        return runs.sort((a, b) => a - b)[3]!;
      };
      warm = { scratch: timed(false), reuse: previous ? timed(true) : NaN };
      return { tree: await withTableTree(repository.store, tx, working.tree, 't', tree), result: undefined };
    });
    const commitReads: Record<string, number> = {};
    const editReads = { ...reads };
    for (const key of Object.keys(reads)) delete reads[key];
    const committing = performance.now();
    await commit(repository, { message: 'edit' });
    const commitMs = performance.now() - committing;
    Object.assign(commitReads, reads);
    const line = (counts: Record<string, number>) => Object.entries(counts).map(([k, v]) => `${v} ${k}s`).join(', ');
    process.stdout.write(`${size} rows, ${chunkCount} chunks, ${editRows}-row upsert: table tree wrote ${line(writes)} in ${treeMs.toFixed(1)} ms; the edit read ${line(editReads)}; warm tree step ${warm.reuse.toFixed(2)} ms reusing the previous tree, ${warm.scratch.toFixed(2)} ms from scratch; its commit took ${commitMs.toFixed(1)} ms and read ${line(commitReads)}\n`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const sizes = (process.env.BENCH_EDIT_SIZES ?? '20000,100000,400000').split(',').map(Number);
  const editRows = Number(process.env.BENCH_EDIT_ROWS ?? '10');
  for (const size of sizes) await measure(size, editRows);
}

main().catch((error: unknown) => {
  process.stderr.write(`edit-objects failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
