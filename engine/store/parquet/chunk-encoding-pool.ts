import fs from 'node:fs';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type * as arrow from 'apache-arrow';
import { UsageError } from '../../errors/index.js';
import type { Column } from '../../schema/schema.js';
import { prepareBlob, type PreparedBlob } from '../object-encoding.js';
import { chunkIpc } from './chunk-codec.js';
import { ipcOfParquet, parquetOfIpc } from './chunk-parquet.js';
import { ownBuffer, type EncodingReply, type EncodingRequest, type WorkerMessage } from './chunk-encoding-protocol.js';

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
  /** Settle the job with a worker's reply (not an error reply). */
  answer: (reply: EncodingReply) => void;
  /** Do the job's work in this thread and settle it (see `encodeWaitingHere`); throws what the work throws. */
  here: () => void;
  reject: (error: Error) => void;
}

/**
 * A decode handed to the pool: its IPC stream to come (undefined when the pool
 * failed or closed: decode in this thread instead), and `runHere` to do it in this
 * thread if no worker has taken it yet.
 */
export interface PendingDecode {
  ipc: Promise<Uint8Array | undefined>;
  /** Decode it here now if it is still waiting for a worker; false when a worker has it (or it is done). */
  runHere(): boolean;
  /** Take it back if no worker has started it (it then gives undefined): nobody will read it. */
  cancel(): void;
}

/**
 * Jobs a worker holds at once: the next one waits in its message queue, so it starts
 * on it as soon as it answers the last, not a round trip through this thread later
 * (on a busy machine that round trip left the workers idle a third of the time).
 */
const JOBS_PER_WORKER = 2;

interface PoolWorker {
  thread: Worker;
  /** The jobs sent to it, oldest first: it answers them in order (see JOBS_PER_WORKER). */
  jobs: Job[];
  /**
   * Whether it said it has loaded: a worker takes a chunk only then, since starting
   * one (compiling parquet-wasm) takes about 200 ms, which this thread spends
   * encoding or decoding the chunks waiting rather than waiting for the worker.
   */
  ready: boolean;
}

/**
 * Worker threads that turn chunks (Arrow tables) into Parquet bytes with the blob id
 * and packfile body ready, so a large import or rewrite uses every core; and that
 * decode chunks' Parquet bytes to Arrow IPC ahead of a merge (see ChunkPrefetch). This thread
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
    const parquetColumns = columns.map((c) => ({ name: c.name, type: c.type }));
    const request: EncodingRequest = { job: this.nextJob++, ipc, columns: parquetColumns };
    return new Promise((resolve, reject) => {
      const answer = (reply: EncodingReply) => ('oid' in reply ? resolve({ bytes: reply.bytes, oid: reply.oid, packed: reply.packed }) : reject(new Error(`a chunk encoding worker sent no chunk for job ${reply.job}`)));
      this.queue.push({ request, answer, here: () => resolve(prepareBlob(parquetOfIpc(ipc, parquetColumns))), reject });
      this.dispatch();
    });
  }

  /**
   * Decode a chunk's Parquet bytes to its Arrow IPC stream (`ipcOfParquet`) in a
   * worker. A failure fails the pool, as an encoding's does, and gives undefined: the
   * caller then decodes in its own thread, and so reports a corrupt chunk as a read
   * without the pool does.
   */
  decode(bytes: Uint8Array): PendingDecode {
    if (this.failure || this.closed) return { ipc: Promise.resolve(undefined), runHere: () => false, cancel: () => undefined };
    // A copy to transfer: the caller's bytes may be shared (a cache, a pack read).
    const request: EncodingRequest = { job: this.nextJob++, decode: new Uint8Array(bytes) };
    let job: Job | undefined;
    const made = new Promise<Uint8Array>((resolve, reject) => {
      const answer = (reply: EncodingReply) => ('ipc' in reply ? resolve(reply.ipc) : reject(new Error(`a chunk encoding worker sent no IPC stream for job ${reply.job}`)));
      job = { request, answer, here: () => resolve(ipcOfParquet(bytes)), reject };
    });
    // A failed decode resolves to undefined: the reader decodes the chunk itself and reports what is wrong with it.
    const ipc = made.catch(() => undefined);
    this.queue.push(job!);
    this.dispatch();
    return {
      ipc,
      runHere: () => {
        const at = this.queue.indexOf(job!);
        if (at < 0) return false;
        this.queue.splice(at, 1);
        this.runHere(job!);
        return true;
      },
      cancel: () => {
        const at = this.queue.indexOf(job!);
        if (at < 0) return;
        this.queue.splice(at, 1);
        job!.reject(new Error('decode cancelled'));
      },
    };
  }

  /**
   * Do the next job no worker has taken yet (an encoding or a decode), here: a thread
   * that would wait on the workers helps instead (so a busy machine, whose cores the
   * workers cannot get, is no slower than working here alone). False when none waits.
   */
  encodeWaitingHere(): boolean {
    if (this.failure) return false;
    const job = this.queue.shift();
    if (!job) return false;
    this.runHere(job);
    return true;
  }

  private runHere(job: Job): void {
    try {
      job.here();
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      job.reject(failure);
      this.fail(failure);
    }
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
      while (worker.ready && worker.jobs.length < JOBS_PER_WORKER && this.queue.length > 0) {
        const job = this.queue.shift()!;
        worker.jobs.push(job);
        const buffer = 'decode' in job.request ? job.request.decode.buffer : job.request.ipc.buffer;
        worker.thread.postMessage(job.request, [buffer as ArrayBuffer]);
      }
    }
  }

  private start(): void {
    const script = workerScript();
    for (let i = 0; i < this.workerCount; i++) {
      const worker: PoolWorker = { thread: new Worker(script), jobs: [], ready: false };
      workerCounts.started++;
      workerCounts.running++;
      // Never what keeps the process alive: a command that forgot close() still exits.
      worker.thread.unref();
      worker.thread.on('message', (message: WorkerMessage) => {
        if ('ready' in message) {
          worker.ready = true;
          this.dispatch();
        } else this.settle(worker, message);
      });
      worker.thread.on('error', (error) => this.fail(new Error(`a chunk encoding worker failed: ${error.message}`, { cause: error })));
      worker.thread.on('exit', (code) => {
        workerCounts.running--;
        if (!this.closed) this.fail(new Error(`a chunk encoding worker stopped (exit code ${code})`));
      });
      this.workers.push(worker);
    }
  }

  private settle(worker: PoolWorker, reply: EncodingReply): void {
    const job = worker.jobs.shift();
    if ('error' in reply) {
      // The error the work threw in the worker, by name and message.
      const error = new Error(reply.error.message);
      error.name = reply.error.name;
      job?.reject(error);
      // A panic may leave parquet-wasm unusable: the pool stops.
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
    job.answer(reply);
    this.dispatch();
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.rejectAll(this.failure);
    void this.stop();
  }

  private rejectAll(error: Error): void {
    for (const worker of this.workers) {
      for (const job of worker.jobs.splice(0)) job.reject(error);
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
