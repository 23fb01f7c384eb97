import { parentPort } from 'node:worker_threads';
import { prepareBlob } from '../object-encoding.js';
import { ipcOfParquet, parquetOfIpc } from './chunk-parquet.js';
import { ownBuffer, type EncodingReply, type EncodingRequest, type WorkerMessage } from './chunk-encoding-protocol.js';

/**
 * A chunk encoding worker thread (see chunk-encoding-pool.ts): Arrow IPC bytes in,
 * the chunk's Parquet bytes, blob id and packfile body out; or, for a decode,
 * Parquet bytes in and the chunk's Arrow IPC stream out. Loads parquet-wasm only,
 * not Arrow: a worker starts in a fraction of the time.
 */
parentPort!.on('message', (request: EncodingRequest) => {
  let answer: { reply: EncodingReply; transfer: ArrayBuffer[] };
  try {
    answer = work(request);
  } catch (error) {
    const reply = { job: request.job, error: error instanceof Error ? { name: error.name, message: error.message } : { name: 'Error', message: String(error) } };
    answer = { reply, transfer: [] };
  }
  parentPort!.postMessage(answer.reply, answer.transfer);
});

// Loaded (parquet-wasm compiled): the pool hands this worker chunks from now on, not before.
parentPort!.postMessage({ ready: true } satisfies WorkerMessage);

/** The reply to one request, with the buffers it transfers. */
function work(request: EncodingRequest): { reply: EncodingReply; transfer: ArrayBuffer[] } {
  if ('decode' in request) {
    const ipc = ownBuffer(ipcOfParquet(request.decode));
    return { reply: { job: request.job, ipc }, transfer: [ipc.buffer as ArrayBuffer] };
  }
  const blob = prepareBlob(parquetOfIpc(request.ipc, request.columns));
  const bytes = ownBuffer(blob.bytes);
  const packed = ownBuffer(blob.packed);
  return { reply: { job: request.job, bytes, oid: blob.oid, packed }, transfer: [bytes.buffer as ArrayBuffer, packed.buffer as ArrayBuffer] };
}
