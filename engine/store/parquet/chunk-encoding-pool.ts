import fs from 'node:fs';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type * as arrow from 'apache-arrow';
import { UsageError } from '../../errors/index.js';
import type { Column } from '../../schema/schema.js';
import { prepareBlob, type PreparedBlob } from '../object-encoding.js';
import { chunkIpc } from './chunk-codec.js';
import { parquetOfIpc } from './chunk-parquet.js';
import { ownBuffer, type EncodingReply, type EncodingRequest } from './chunk-encoding-protocol.js';

/**
 * How many threads encode chunks in a large job, this one included: `DGIT_WORKERS`,
 * or one per core (`os.availableParallelism()`). 0 or 1 means this thread alone. A
 * setting that is not a whole number is refused.
 */
export function encodingThreads(setting = process.env['DGIT_WORKERS']): number {
  if (setting === undefined || setting.trim() === '') return os.availableParallelism();
  const threads = Number(setting);
  if (!Number.isInteger(threads) || threads < 0) throw new UsageError('DGIT_WORKERS must be a whole number of threads (0 or 1: encode in this thread)', 'DGIT_WORKERS');
  return threads;
}

/** Workers started and still running, in this process: tests prove none is left behind and small commands start none. */
const workerCounts = { started: 0, running: 0 };

export function encodingWorkerCounts(): { started: number; running: number } {
  return { ...workerCounts };
}

interface Job {
  request: EncodingRequest;
  resolve: (blob: PreparedBlob) => void;
  reject: (error: Error) => void;
}

interface PoolWorker {
  thread: Worker;
  job: Job | undefined;
}

/**
 * Worker threads that turn chunks (Arrow tables) into Parquet bytes with the blob id
 * and packfile body ready, so a large import or rewrite uses every core. This thread
 * makes each chunk's Arrow IPC stream (the half of encoding that needs Arrow) and
 * transfers it; the workers run the same writer settings as `encodeChunk`, so the
 * bytes are the same. Workers start on the first chunk, not before; `close()` stops
 * them. A failed encoding (with the error encoding it here would throw) or a worker
 * that dies fails the pool: every chunk still waiting, and every later one.
 */
export class ChunkEncodingPool {
  private readonly workers: PoolWorker[] = [];
  private readonly queue: Job[] = [];
  private nextJob = 0;
  private failure: Error | undefined;
  private closed = false;
  private stopped: Promise<void> | undefined;

  /** `threads` encode: this one (see `encodeWaitingHere`) and `threads - 1` workers. */
  constructor(readonly threads: number) {}

  private get workerCount(): number {
    return Math.max(1, this.threads - 1);
  }

  /** Encode a chunk (`table` in the chunk schema of `columns`, as for `encodeChunk`). */
  encode(table: arrow.Table, columns: readonly Column[]): Promise<PreparedBlob> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new Error('the chunk encoding pool is closed'));
    const ipc = ownBuffer(chunkIpc(table, columns));
    const request: EncodingRequest = { job: this.nextJob++, ipc, columns: columns.map((c) => ({ name: c.name, type: c.type })) };
    return new Promise((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      this.dispatch();
    });
  }

  /**
   * Encode the next chunk no worker has taken yet, here: a thread that would wait on
   * the workers helps instead (so a busy machine, whose cores the workers cannot get,
   * is no slower than encoding here alone). False when no chunk waits.
   */
  encodeWaitingHere(): boolean {
    if (this.failure) return false;
    const job = this.queue.shift();
    if (!job) return false;
    try {
      job.resolve(prepareBlob(parquetOfIpc(job.request.ipc, job.request.columns)));
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      job.reject(failure);
      this.fail(failure);
    }
    return true;
  }

  /** Stop the workers; chunks still waiting are rejected. */
  async close(): Promise<void> {
    this.rejectAll(new Error('the chunk encoding pool is closed'));
    await this.stop();
  }

  private stop(): Promise<void> {
    this.closed = true;
    return (this.stopped ??= Promise.all(this.workers.map((w) => w.thread.terminate())).then(() => undefined));
  }

  private dispatch(): void {
    if (this.workers.length === 0) this.start();
    for (const worker of this.workers) {
      if (this.queue.length === 0) return;
      if (worker.job) continue;
      const job = this.queue.shift()!;
      worker.job = job;
      worker.thread.postMessage(job.request, [job.request.ipc.buffer as ArrayBuffer]);
    }
  }

  private start(): void {
    const script = workerScript();
    for (let i = 0; i < this.workerCount; i++) {
      const worker: PoolWorker = { thread: new Worker(script), job: undefined };
      workerCounts.started++;
      workerCounts.running++;
      // Never what keeps the process alive: a command that forgot close() still exits.
      worker.thread.unref();
      worker.thread.on('message', (reply: EncodingReply) => this.settle(worker, reply));
      worker.thread.on('error', (error) => this.fail(new Error(`a chunk encoding worker failed: ${error.message}`, { cause: error })));
      worker.thread.on('exit', (code) => {
        workerCounts.running--;
        if (!this.closed) this.fail(new Error(`a chunk encoding worker stopped (exit code ${code})`));
      });
      this.workers.push(worker);
    }
  }

  private settle(worker: PoolWorker, reply: EncodingReply): void {
    const job = worker.job;
    worker.job = undefined;
    if ('error' in reply) {
      // The error encoding it threw in this thread, by name and message. A panic may leave parquet-wasm unusable: the pool stops.
      const error = new Error(reply.error.message);
      error.name = reply.error.name;
      job?.reject(error);
      this.fail(error);
      return;
    }
    if (!job || job.request.job !== reply.job) {
      // A worker takes one chunk at a time: any other reply is a fault, and waiting for the chunk would wait forever.
      const error = new Error(`a chunk encoding worker answered for chunk ${reply.job}, expected ${job ? job.request.job : 'none'}`);
      job?.reject(error);
      this.fail(error);
      return;
    }
    job.resolve({ bytes: reply.bytes, oid: reply.oid, packed: reply.packed });
    this.dispatch();
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.rejectAll(this.failure);
    void this.stop();
  }

  private rejectAll(error: Error): void {
    for (const worker of this.workers) {
      worker.job?.reject(error);
      worker.job = undefined;
    }
    for (const job of this.queue.splice(0)) job.reject(error);
  }
}

/**
 * The worker's script: beside this module when it runs built; from `dist/` when it
 * runs from the TypeScript sources (the tests), since Node runs only JavaScript in a worker.
 */
function workerScript(): URL {
  const beside = new URL('./chunk-encoding-worker.js', import.meta.url);
  if (fs.existsSync(beside)) return beside;
  return new URL('../../../dist/engine/store/parquet/chunk-encoding-worker.js', import.meta.url);
}
