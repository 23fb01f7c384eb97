import { describe, expect, it, vi } from 'vitest';
import { Worker } from 'node:worker_threads';
import fs from 'node:fs';
import path from 'node:path';
import type * as arrow from 'apache-arrow';
import { importTable, initRepository } from '../../engine/index.js';
import { createTableSchema, type Column, type TableSchema } from '../../engine/schema/schema.js';
import type { ChunkId, Manifest } from '../../engine/chunking/manifest.js';
import { applyEdits } from '../../engine/table/apply-edits.js';
import { buildTable } from '../../engine/table/build-table.js';
import { decodeChunk, encodeChunk, rowsToArrow } from '../../engine/store/parquet/chunk-codec.js';
import { ChunkEncodingPool, encodingThreads, encodingWorkerCounts } from '../../engine/store/parquet/chunk-encoding-pool.js';
import { hashObject, prepareBlob, type PreparedBlob } from '../../engine/store/object-encoding.js';
import { ObjectStore } from '../../engine/store/object-store.js';
import { execFileSync } from 'node:child_process';
import { compareKeys, type Row } from '../../engine/value/value.js';
import { dgitOk, dgitProcess, gitOut, tempDir, writeFile } from '../support/cli.js';
import { MemoryChunks } from '../support/memory-chunks.js';

/** Chunks in memory (test/support/memory-chunks.ts) that also take chunks a worker prepared, and count them. */
class PreparedMemoryChunks extends MemoryChunks {
  prepared = 0;
  writePreparedChunk(blob: PreparedBlob): ChunkId {
    this.prepared++;
    expect(blob.oid).toBe(hashObject('blob', blob.bytes));
    return this.writeChunk(blob.bytes);
  }
}

/** Small chunks, so a few thousand rows make far more chunks than a job encodes in its own thread. */
const small = { hash: 'fnv1a32-fmix-v1' as const, targetRows: 64, minRows: 16, maxRows: 256 };

/** A table whose second column was renamed from `name` to `label`: its chunks keep the stored name. */
function makeSchema(keyed: boolean): TableSchema {
  const schema = createTableSchema(
    [
      { name: 'id', type: 'Int64' },
      { name: 'name', type: 'Utf8' },
      { name: 'at', type: 'Timestamp<s>' },
      { name: 'score', type: 'Float64' },
      { name: 'ok', type: 'Bool' },
    ],
    keyed ? ['id'] : [],
    small,
  );
  return { ...schema, columns: schema.columns.map((c) => (c.name === 'name' ? { ...c, name: 'label', stored: 'name' } : c)) };
}

function makeRows(count: number, version: number): Row[] {
  return Array.from({ length: count }, (_, i) => [BigInt(i * 2), i % 11 === 0 ? null : `r${i} v${version}`, BigInt(1_600_000_000 + i), i / 7 + version, i % 3 === 0]);
}

/** The rows as Arrow batches of `size` rows, as a bulk import streams them. */
async function* batchesOf(schema: TableSchema, rows: Row[], size: number): AsyncIterable<arrow.Table> {
  for (let at = 0; at < rows.length; at += size) yield rowsToArrow(schema.columns, rows.slice(at, at + size));
}

async function build(schema: TableSchema, rows: Row[], workers: string): Promise<{ manifest: Manifest; store: PreparedMemoryChunks }> {
  vi.stubEnv('DGIT_WORKERS', workers);
  const store = new PreparedMemoryChunks();
  const manifest = await buildTable(schema, batchesOf(schema, rows, 700), store, 'test');
  return { manifest, store };
}

describe('chunk encoding in worker threads', () => {
  for (const keyed of [true, false]) {
    it(`gives the same manifest and chunk bytes as encoding in this thread (${keyed ? 'keyed' : 'keyless'}, a renamed column)`, async () => {
      const schema = makeSchema(keyed);
      const rows = makeRows(6000, 0).sort((a, b) => compareKeys(keyed ? [a[0]!] : a, keyed ? [b[0]!] : b));
      const alone = await build(schema, rows, '1');
      const started = encodingWorkerCounts().started;
      const pooled = await build(schema, rows, '3');
      // Three encoding threads: this one and two workers.
      expect(encodingWorkerCounts().started).toBe(started + 2);
      expect(alone.manifest.chunks.length).toBeGreaterThan(40);
      expect(pooled.manifest).toEqual(alone.manifest);
      expect(pooled.store.prepared).toBeGreaterThan(0);
      expect(alone.store.prepared).toBe(0);
      for (const chunk of alone.manifest.chunks) expect(pooled.store.blobs.get(chunk.id)).toEqual(alone.store.blobs.get(chunk.id));
      // Chunks keep the stored name of the renamed column.
      const first = decodeChunk(pooled.store.blobs.get(pooled.manifest.chunks[0]!.id)!, 'first');
      expect(first.schema.fields.map((f) => f.name)).toEqual(['id', 'name', 'at', 'score', 'ok']);
      expect(encodingWorkerCounts().running).toBe(0);
    });
  }

  it('a rewrite of every chunk gives the same manifest with workers as without', async () => {
    const schema = makeSchema(true);
    const rows = makeRows(5000, 0);
    const results: Manifest[] = [];
    const started = encodingWorkerCounts().started;
    for (const workers of ['0', '2']) {
      const { manifest, store } = await build(schema, rows, '1');
      vi.stubEnv('DGIT_WORKERS', workers);
      const edits = { upserts: makeRows(5000, 1).filter((_, i) => i % 50 === 0), deletes: [[BigInt(8)]] };
      results.push((await applyEdits(schema, manifest, edits, { reader: store, writer: store }, { rewriteAll: true })).manifest);
    }
    expect(results[1]).toEqual(results[0]);
    expect(encodingWorkerCounts().started).toBe(started + 1);
    expect(encodingWorkerCounts().running).toBe(0);
  });

  it('a small edit starts no worker', async () => {
    const schema = makeSchema(true);
    const { manifest, store } = await build(schema, makeRows(5000, 0), '1');
    vi.stubEnv('DGIT_WORKERS', '4');
    const started = encodingWorkerCounts().started;
    const edits = { upserts: makeRows(10, 2), deletes: [] };
    const after = await applyEdits(schema, manifest, edits, { reader: store, writer: store });
    expect(after.counts.updated).toBe(10);
    expect(encodingWorkerCounts().started).toBe(started);
  });

  it('a worker reports the error encoding the chunk in this thread throws, and the pool stops', async () => {
    const columns: Column[] = [{ id: 1, name: 'id', type: 'Utf8', nullable: false }];
    const table = rowsToArrow(columns, [['a'], ['b']]);
    // A Utf8 column declared Int64: parquet-wasm refuses the integer encoding for it.
    const wrong: Column[] = [{ ...columns[0]!, type: 'Int64' }];
    let inThread: unknown;
    try {
      encodeChunk(table, wrong);
    } catch (error) {
      inThread = error;
    }
    expect(inThread).toBeInstanceOf(Error);
    const pool = new ChunkEncodingPool(2);
    try {
      const error = await pool.encode(table, wrong).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(error?.message).toBe((inThread as Error).message);
      expect(error?.name).toBe((inThread as Error).name);
      await expect(pool.encode(table, columns)).rejects.toThrow((inThread as Error).message);
    } finally {
      await pool.close();
    }
    expect(encodingWorkerCounts().running).toBe(0);
  });

  it('a chunk no worker has taken yet is encoded here, to the same bytes', async () => {
    const columns: Column[] = [{ id: 1, name: 'id', type: 'Int64', nullable: false }, { id: 2, name: 'name', type: 'Utf8', nullable: true }];
    const tables = [0, 1, 2].map((k) => rowsToArrow(columns, Array.from({ length: 500 }, (_, i) => [BigInt(i + k * 500), `n${i % 7}`])));
    const pool = new ChunkEncodingPool(2);
    try {
      const made = tables.map((table) => pool.encode(table, columns));
      // A worker takes no chunk before it says it has loaded (a message this synchronous code does not let in): all three wait, and this thread takes them.
      expect(pool.encodeWaitingHere()).toBe(true);
      expect(pool.encodeWaitingHere()).toBe(true);
      expect(pool.encodeWaitingHere()).toBe(true);
      expect(pool.encodeWaitingHere()).toBe(false);
      const blobs = await Promise.all(made);
      blobs.forEach((blob, k) => {
        const bytes = encodeChunk(tables[k]!, columns);
        expect(blob.bytes).toEqual(bytes);
        expect(blob.oid).toBe(hashObject('blob', bytes));
      });
    } finally {
      await pool.close();
    }
  });

  it('a worker that dies fails the chunks waiting on it', async () => {
    const columns: Column[] = [{ id: 1, name: 'id', type: 'Int64', nullable: false }];
    const pool = new ChunkEncodingPool(1);
    try {
      const table = rowsToArrow(columns, Array.from({ length: 2000 }, (_, i) => [BigInt(i)]));
      const waiting = Array.from({ length: 8 }, () => pool.encode(table, columns).then(() => 'encoded', (e: unknown) => String(e)));
      await (pool as unknown as { workers: Array<{ thread: { terminate(): Promise<number> } }> }).workers[0]!.thread.terminate();
      const outcomes = await Promise.all(waiting);
      expect(outcomes.at(-1)).toMatch(/chunk encoding worker stopped/);
    } finally {
      await pool.close();
    }
    expect(encodingWorkerCounts().running).toBe(0);
  });

  it('a worker that answers for another chunk fails the pool rather than leave its chunk waiting', async () => {
    const columns: Column[] = [{ id: 1, name: 'id', type: 'Int64', nullable: false }];
    const table = rowsToArrow(columns, [[1n], [2n]]);
    // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with the worker as `this`
    const post = Worker.prototype.postMessage;
    // The request leaves with another job number, so the worker's answer names a chunk the pool did not send it.
    vi.spyOn(Worker.prototype, 'postMessage').mockImplementation(function (this: Worker, message: unknown, transfer?: Parameters<Worker['postMessage']>[1]) {
      post.call(this, { ...(message as object), job: 1000 }, transfer);
    });
    const pool = new ChunkEncodingPool(2);
    try {
      await expect(pool.encode(table, columns)).rejects.toThrow(/answered for chunk 1000, expected 0/);
      await expect(pool.encode(table, columns)).rejects.toThrow(/answered for chunk 1000/);
    } finally {
      await pool.close();
    }
    expect(encodingWorkerCounts().running).toBe(0);
  });

  for (const count of [3, 40]) {
    it(`a prepared chunk is stored as the same object as its bytes (${count > 32 ? 'a packfile' : 'loose objects'})`, async () => {
      const columns: Column[] = [{ id: 1, name: 'id', type: 'Int64', nullable: false }];
      const chunks = Array.from({ length: count }, (_, k) => encodeChunk(rowsToArrow(columns, [[BigInt(k)], [BigInt(k + 1000)]]), columns));
      const dir = tempDir();
      execFileSync('git', ['init', '-q', dir]);
      const store = new ObjectStore(path.join(dir, '.git'));
      const tx = store.transaction();
      const ids = chunks.map((bytes, k) => (k % 2 === 0 ? tx.writePreparedChunk(prepareBlob(bytes)) : tx.writeChunk(bytes)));
      tx.commit();
      expect(ids).toEqual(chunks.map((bytes) => hashObject('blob', bytes)));
      for (let k = 0; k < count; k++) expect(Buffer.from(await store.readTyped(ids[k]!, 'blob')).equals(Buffer.from(chunks[k]!))).toBe(true);
      execFileSync('git', ['fsck', '--strict', '--no-dangling'], { cwd: dir });
    });
  }

  it('refuses a DGIT_WORKERS that is not a whole number', () => {
    expect(() => encodingThreads('two')).toThrow(/DGIT_WORKERS must be a whole number/);
    expect(encodingThreads('0')).toBe(0);
    expect(encodingThreads('')).toBeGreaterThanOrEqual(1);
  });

  it('the built CLI imports the same table tree with workers as without', () => {
    const dir = tempDir();
    const lines = Array.from({ length: 100_000 }, (_, i) => `${i},n${i % 97},${i / 4}`).join('\n');
    const file = writeFile(dir, 'numbers.csv', `id,name,score\n${lines}\n`);
    const trees = ['1', '2'].map((workers) => {
      const repo = path.join(dir, `repo-${workers}`);
      fs.mkdirSync(repo);
      dgitOk(repo, 'init');
      vi.stubEnv('DGIT_WORKERS', workers);
      expect(dgitOk(repo, 'import', file, '--table', 'numbers', '--key', 'id')).toMatch(/100000 rows, \d\d+ chunks written/);
      return gitOut(repo, 'rev-parse', 'refs/dgit/working/main^{tree}').trim();
    });
    expect(trees[1]).toBe(trees[0]);
    // The command as users run it (the bundle, dist/bundle/dgit.js) finds its worker script too.
    const repo = path.join(dir, 'repo-bundle');
    fs.mkdirSync(repo);
    dgitOk(repo, 'init');
    vi.stubEnv('DGIT_WORKERS', '2');
    const run = dgitProcess(repo, 'import', file, '--table', 'numbers', '--key', 'id');
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(gitOut(repo, 'rev-parse', 'refs/dgit/working/main^{tree}').trim()).toBe(trees[0]);
  });

  it('an import whose encoding fails in a worker leaves the repository unchanged and no worker running', async () => {
    const dir = tempDir();
    const { repository } = await initRepository(dir);
    const lines = Array.from({ length: 100_000 }, (_, i) => `${i},n${i % 97}`).join('\n');
    const file = writeFile(dir, 'numbers.csv', `id,name\n${lines}\n`);
    vi.stubEnv('DGIT_WORKERS', '2');
    // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with the pool as `this`
    const encode = ChunkEncodingPool.prototype.encode;
    // The worker is handed a wrong type for the string column, so encoding fails in the worker itself.
    vi.spyOn(ChunkEncodingPool.prototype, 'encode').mockImplementation(function (this: ChunkEncodingPool, table, columns) {
      return encode.call(this, table, columns.map((c) => (c.type === 'Utf8' ? { ...c, type: 'Int64' as const } : c)));
    });
    const before = listFiles(repository.gitdir);
    // parquet-wasm's own words, as when the same chunk fails in this thread.
    await expect(importTable(repository, file, { table: 'numbers', key: ['id'] })).rejects.toThrow(/unreachable/);
    expect(listFiles(repository.gitdir)).toEqual(before);
    expect(encodingWorkerCounts().running).toBe(0);
  });
});

/** Every file under `dir` with its size, but dgit's scratch folder. */
function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (at: string) => {
    for (const entry of fs.readdirSync(at, { withFileTypes: true })) {
      const full = path.join(at, entry.name);
      if (entry.isDirectory()) {
        if (path.relative(dir, full) !== path.join('dgit', 'tmp')) walk(full);
      } else out.push(`${path.relative(dir, full)} ${fs.statSync(full).size}`);
    }
  };
  walk(dir);
  return out.sort();
}
