import type { ChunkId } from '../chunking/manifest.js';
import { encodingThreads, type ChunkEncodingPool, type PendingDecode } from '../store/parquet/chunk-encoding-pool.js';

/** Chunks decoded ahead of the reader: bounds the memory of decoded-but-unread chunks (Arrow IPC, about 100 KB each). */
const AHEAD = 32;

/** Fewer chunks than this are decoded in the reader's thread: a small merge never pays a worker's start. */
export const PREFETCH_MIN_CHUNKS = 64;

/**
 * Decodes chunks in worker threads (`pool`, which the caller owns) ahead of a reader that will ask for them in a
 * known order (a merge walks the chunks that differ in key order): the worker turns
 * Parquet into Arrow IPC (the costly half of decoding) while this thread compares
 * the rows of the chunks before. `take` hands over a chunk's IPC stream; a chunk
 * the worker has not started yet is decoded here instead of waited for, so a busy
 * machine is no slower than decoding here alone. Chunks asked for out of the list,
 * or after the pool failed, are the reader's to decode (`take` gives undefined).
 */
export class ChunkPrefetch {
  private readonly positions = new Map<string, number>();
  private readonly pending = new Map<number, Promise<PendingDecode>>();
  private started = 0;
  private stopped = false;

  constructor(
    private readonly ids: readonly ChunkId[],
    private readonly readBytes: (id: ChunkId) => Promise<Uint8Array>,
    private readonly pool: ChunkEncodingPool,
  ) {
    ids.forEach((id, at) => {
      if (!this.positions.has(id)) this.positions.set(id, at);
    });
    this.fill(AHEAD);
  }

  /** Whether prefetching `count` chunks is worth a worker: enough of them, and more than one thread to use. */
  static worthIt(count: number, threads = encodingThreads()): boolean {
    return count >= PREFETCH_MIN_CHUNKS && threads > 1;
  }

  /** The Arrow IPC stream of chunk `id` (see `ipcOfParquet`), or undefined when the reader must decode it itself. */
  async take(id: ChunkId): Promise<Uint8Array | undefined> {
    const at = this.positions.get(id);
    if (at === undefined) return undefined;
    // Once: a chunk read again comes from the reader's own cache, or is decoded again there.
    this.positions.delete(id);
    this.fill(at + 1 + AHEAD);
    this.forgetBefore(at - AHEAD);
    const pending = this.pending.get(at);
    if (!pending) return undefined;
    this.pending.delete(at);
    const decode = await pending;
    // Let the workers' messages in (a reply, "ready") before judging whether one has this chunk: a merge
    // otherwise runs on settled promises alone, and the workers would sit idle, their messages unread.
    await new Promise((resolve) => setImmediate(resolve));
    if (!decode.runHere()) {
      // A worker has it: decode the chunks waiting after it here meanwhile, rather than wait idle.
      let settled = false;
      void decode.ipc.then(() => (settled = true));
      while (!settled && this.pool.encodeWaitingHere()) await new Promise((resolve) => setImmediate(resolve));
    }
    return decode.ipc;
  }

  /** Start no more decodes, and take back those no worker has started (the pool stays up for other work). */
  stop(): void {
    this.stopped = true;
    this.positions.clear();
    for (const pending of this.pending.values()) void pending.then((decode) => decode.cancel());
    this.pending.clear();
  }

  /** Start decodes up to (not including) list position `end`. */
  private fill(end: number): void {
    for (; !this.stopped && this.started < Math.min(end, this.ids.length); this.started++) {
      const id = this.ids[this.started]!;
      // A failed read is left to the reader, which reads the chunk again and reports it.
      const decode = this.readBytes(id).then(
        (bytes) => (this.stopped ? { ipc: Promise.resolve(undefined), runHere: () => false, cancel: () => undefined } : this.pool.decode(bytes)),
        (): PendingDecode => ({ ipc: Promise.resolve(undefined), runHere: () => false, cancel: () => undefined }),
      );
      this.pending.set(this.started, decode);
    }
  }

  /** Drop decodes the reader went past without asking for (the walk skipped them): they would only hold memory. */
  private forgetBefore(end: number): void {
    for (const [at, pending] of this.pending) {
      if (at >= end) continue;
      this.pending.delete(at);
      void pending.then((decode) => decode.cancel());
    }
  }
}
