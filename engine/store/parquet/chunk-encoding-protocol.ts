import type { ObjectId } from '../object-encoding.js';
import type { ParquetColumn } from './chunk-parquet.js';

/** The messages between the chunk encoding pool and its worker threads. */

/**
 * One chunk to encode: its Arrow IPC stream (transferred, not copied) and its
 * columns; or (`decode`) one chunk's Parquet bytes to turn into its Arrow IPC stream.
 */
export type EncodingRequest = { job: number; ipc: Uint8Array; columns: ParquetColumn[] } | { job: number; decode: Uint8Array };

/** An encoded chunk, a decoded one's IPC stream, or the name and message of the error the work threw. */
export type EncodingReply =
  | { job: number; bytes: Uint8Array; oid: ObjectId; packed: Uint8Array }
  | { job: number; ipc: Uint8Array }
  | { job: number; error: { name: string; message: string } };

/** What a worker sends: a reply, or (once, first) that it has loaded and takes work. */
export type WorkerMessage = EncodingReply | { ready: true };

/**
 * `view` over an ArrayBuffer of its own, so the buffer can be transferred: a view
 * into a larger or shared buffer (Node's small-Buffer pool) is copied first, since
 * transferring that buffer would take it from its other users.
 */
export function ownBuffer(view: Uint8Array): Uint8Array {
  const owns = view.byteOffset === 0 && view.byteLength === view.buffer.byteLength && view.buffer instanceof ArrayBuffer;
  return owns ? view : new Uint8Array(view);
}
