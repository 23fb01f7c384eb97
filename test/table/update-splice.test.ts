import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTableSchema, type TableSchema } from '../../engine/schema/schema.js';
import { BoundaryRule } from '../../engine/chunking/boundary.js';
import { applyEdits } from '../../engine/table/apply-edits.js';
import { buildTable } from '../../engine/table/build-table.js';
import { rowsToArrow } from '../../engine/store/parquet/chunk-codec.js';
import type { Row } from '../../engine/value/value.js';
import { MemoryChunks } from '../support/memory-chunks.js';

const small = { hash: 'fnv1a32-fmix-v1' as const, targetRows: 64, minRows: 16, maxRows: 256 };
const schema: TableSchema = createTableSchema([{ name: 'id', type: 'Int64' }, { name: 'v', type: 'Utf8' }, { name: 'n', type: 'Float64' }], ['id'], small);
const rows: Row[] = Array.from({ length: 5000 }, (_, i) => [BigInt(i * 2), `v${i}`, i / 3]);

async function* once(batch: Row[]) {
  yield rowsToArrow(schema.columns, batch);
}

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe('applying updates that keep every key', () => {
  it('keeps each chunk’s cut without hashing its rows, and ends on the chunks a bulk build of the result gives', async () => {
    vi.stubEnv('DGIT_WORKERS', '1');
    const store = new MemoryChunks();
    const manifest = await buildTable(schema, once(rows), store, 't');
    // Ten rows updated across the table, one of them twice over (rows 100 and 101 in one chunk), one left equal.
    const updates: Row[] = [100, 101, 900, 1700, 2500, 3300, 4100, 4900, 4998].map((i) => [BigInt(i * 2), `updated ${i}`, -i]);
    updates.push([BigInt(4999 * 2), 'v4999', 4999 / 3]);
    const rule = vi.spyOn(BoundaryRule.prototype, 'endsChunk');
    const { manifest: edited, counts } = await applyEdits(schema, manifest, { upserts: updates, deletes: [] }, { reader: store, writer: store });
    expect(counts).toEqual({ inserted: 0, updated: 9, deleted: 0, missing: 0, unchanged: 1 });
    // The table's last chunk (cut by the end of the table, not the rule) is spliced row by row; the others ask the rule once.
    const lastChunkRows = manifest.chunks.at(-1)!.rows;
    expect(rule.mock.calls.length).toBeLessThanOrEqual(8 + lastChunkRows + 1);
    rule.mockRestore();
    const byId = new Map(updates.map((row) => [row[0], row]));
    const bulk = await buildTable(schema, once(rows.map((row) => byId.get(row[0]!) ?? row)), new MemoryChunks(), 't');
    expect(edited.chunks).toEqual(bulk.chunks);
    expect(edited.chunks.length).toBe(manifest.chunks.length);
  });

  it('an insert or delete among the edits splices the general way, to the same chunks as a bulk build', async () => {
    vi.stubEnv('DGIT_WORKERS', '1');
    const store = new MemoryChunks();
    const manifest = await buildTable(schema, once(rows), store, 't');
    const upserts: Row[] = [[201n, 'inserted', 0], [BigInt(300 * 2), 'updated', 1]];
    const { manifest: edited, counts } = await applyEdits(schema, manifest, { upserts, deletes: [[BigInt(301 * 2)]] }, { reader: store, writer: store });
    expect(counts).toMatchObject({ inserted: 1, updated: 1, deleted: 1 });
    const result = rows.filter((row) => row[0] !== BigInt(301 * 2)).map((row) => (row[0] === BigInt(300 * 2) ? upserts[1]! : row));
    result.splice(101, 0, upserts[0]!);
    const bulk = await buildTable(schema, once(result), new MemoryChunks(), 't');
    expect(edited.chunks).toEqual(bulk.chunks);
  });
});
