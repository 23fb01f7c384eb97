import { constants } from 'node:fs';
import { open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { InvalidInputError } from '../errors/index.js';
import { tempSibling } from '../store/atomic-file.js';

/**
 * Where exported bytes go. A file is written under a temp name next to it and
 * renamed into place on commit, so a failed export leaves no half-written file;
 * a stream (stdout for '-') is written with backpressure and never ended, since the
 * caller owns it.
 */
export interface OutputSink {
  write(chunk: string | Uint8Array): Promise<void>;
  /** Makes the output final: fsync and rename for a file. */
  commit(): Promise<void>;
  /** Drops what was written to a file; a stream keeps what it already took. */
  abort(): Promise<void>;
}

/** The sink for an export target: a file path, '-' for stdout, or a writable stream. */
export async function openOutputSink(output: string | NodeJS.WritableStream): Promise<OutputSink> {
  if (output === '-') return streamSink(process.stdout);
  if (typeof output === 'string') return fileSink(output);
  return streamSink(output);
}

async function fileSink(file: string): Promise<OutputSink> {
  const existing = await stat(file).catch(() => undefined);
  if (existing && !existing.isFile() && !existing.isDirectory()) return specialFileSink(file);
  const temp = tempSibling(file, { hidden: true });
  const { handle, close } = await openOnce(temp, 'wx', file);
  return {
    async write(chunk) {
      // writeFile writes at the current position and loops until every byte is out.
      await handle.writeFile(chunk);
    },
    async commit() {
      await handle.sync();
      await close();
      await rename(temp, file);
    },
    async abort() {
      await close().catch(() => {});
      await rm(temp, { force: true });
    },
  };
}

function streamSink(stream: NodeJS.WritableStream): OutputSink {
  let failure: Error | undefined;
  const onError = (error: Error) => {
    failure = error;
  };
  stream.on('error', onError);
  const detach = async () => {
    stream.off('error', onError);
  };
  return {
    async write(chunk) {
      if (failure) throw failure;
      if (stream.write(chunk)) return;
      await new Promise<void>((resolve, reject) => {
        const done = () => {
          stream.off('error', fail);
          resolve();
        };
        const fail = (error: Error) => {
          stream.off('drain', done);
          reject(error);
        };
        stream.once('drain', done);
        stream.once('error', fail);
      });
    },
    commit: detach,
    abort: detach,
  };
}

/**
 * A target that exists and is not a regular file (a device such as /dev/null, a
 * FIFO, a terminal, a socket): written into, as a shell redirection does. It is
 * never replaced by a renamed temporary file, which would turn a device node into
 * a regular file under every program that uses it.
 */
async function specialFileSink(file: string): Promise<OutputSink> {
  // No O_CREAT or O_TRUNC: the node exists and stays what it is.
  const { handle, close } = await openOnce(file, constants.O_WRONLY, file);
  return {
    async write(chunk) {
      await handle.writeFile(chunk);
    },
    commit: close,
    abort: async () => close().catch(() => {}),
  };
}

/** Open `target` for an export to `file` (a clear error naming `file` otherwise), with a close that runs once. */
async function openOnce(target: string, flags: string | number, file: string): Promise<{ handle: FileHandle; close: () => Promise<void> }> {
  let handle: FileHandle;
  try {
    handle = await open(target, flags);
  } catch (error) {
    throw new InvalidInputError(`cannot write ${file}: ${(error as Error).message}`, file, error);
  }
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await handle.close();
  };
  return { handle, close };
}
