import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseChunkStoreUrl } from '../../engine/chunkstore/chunk-store-url.js';
import { S3ChunkStore } from '../../engine/chunkstore/s3-chunk-store.js';

/** A server that takes connections and the requests on them, and never answers: an S3 endpoint gone silent. */
async function silentServer(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('data', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

describe('a bucket that stops answering', () => {
  let server: Awaited<ReturnType<typeof silentServer>> | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
    vi.unstubAllEnvs();
  });

  it('fails the request after DGIT_S3_TIMEOUT_MS (each of the SDK attempts), rather than hang it', async () => {
    server = await silentServer();
    vi.stubEnv('DGIT_S3_TIMEOUT_MS', '300');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'test');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test');
    const store = new S3ChunkStore(parseChunkStoreUrl('s3://silent/prefix'), { endpoint: server.url, maxAttempts: 2 });
    // Without a timeout the promise never settles, and the test's own timeout is the only way out.
    await expect(store.put('0123456789abcdef0123456789abcdef01234567', new Uint8Array([1, 2, 3]))).rejects.toThrow();
  });

  it('refuses a DGIT_S3_TIMEOUT_MS that is not a positive whole number', () => {
    vi.stubEnv('DGIT_S3_TIMEOUT_MS', 'soon');
    expect(() => new S3ChunkStore(parseChunkStoreUrl('s3://silent/prefix'))).toThrow(/DGIT_S3_TIMEOUT_MS must be a whole number/);
  });
});
