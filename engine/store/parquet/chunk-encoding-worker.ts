import { parentPort } from 'node:worker_threads';
import { prepareBlob } from '../object-encoding.js';
import { parquetOfIpc } from './chunk-parquet.js';
import { ownBuffer, type EncodingReply, type EncodingRequest } from './chunk-encoding-protocol.js';

/**
 * A chunk encoding worker thread (see chunk-encoding-pool.ts): Arrow IPC bytes in,
 * the chunk's Parquet bytes, blob id and packfile body out. Loads parquet-wasm
 * only, not Arrow: a worker starts in a fraction of the time.
 */
parentPort!.on('message', (request: EncodingRequest) => {
  let reply: EncodingReply;
  let transfer: ArrayBuffer[] = [];
  try {
    const blob = prepareBlob(parquetOfIpc(request.ipc, request.columns));
    const bytes = ownBuffer(blob.bytes);
    const packed = ownBuffer(blob.packed);
    reply = { job: request.job, bytes, oid: blob.oid, packed };
    transfer = [bytes.buffer as ArrayBuffer, packed.buffer as ArrayBuffer];
  } catch (error) {
    reply = { job: request.job, error: error instanceof Error ? { name: error.name, message: error.message } : { name: 'Error', message: String(error) } };
  }
  parentPort!.postMessage(reply, transfer);
});
