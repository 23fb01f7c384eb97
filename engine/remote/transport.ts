import type { GitHttpRequest, GitHttpResponse, GitProgressEvent, HttpClient } from 'isomorphic-git';
import nodeHttp from 'isomorphic-git/http/node';

/** What one remote operation moved over the wire (HTTP bodies). */
export interface TransferCounts {
  requests: number;
  bytesSent: number;
  bytesReceived: number;
  /** Objects in the packfiles sent (push), read from the pack headers. */
  objectsSent: number;
}

/** Progress of a transfer: isomorphic-git's phases ("Receiving objects", ...) and dgit's ("Sending objects"). */
export type TransferProgress = (event: GitProgressEvent) => void;

/** Callbacks every remote operation takes. */
export interface TransferOptions {
  onProgress?: TransferProgress;
  /** Lines the server sends for people (`remote: ...`). */
  onMessage?: (line: string) => void;
  /** Allow git's credential helpers to prompt on the terminal. */
  interactive?: boolean;
  /**
   * A token for this call only (the bot's installation token), offered before
   * the environment's; sent as basic auth `x-access-token:<token>` when the server asks.
   */
  token?: string;
}

export function emptyCounts(): TransferCounts {
  return { requests: 0, bytesSent: 0, bytesReceived: 0, objectsSent: 0 };
}

/**
 * isomorphic-git's Node HTTP client, counting what crosses the wire so commands
 * can report it (and tests can prove a push sends only the missing objects).
 */
export function countingHttpClient(counts: TransferCounts, onProgress?: TransferProgress): HttpClient {
  return {
    async request(request: GitHttpRequest): Promise<GitHttpResponse> {
      counts.requests += 1;
      let body = request.body as unknown;
      if (Array.isArray(body)) {
        const parts = body as Uint8Array[];
        const size = parts.reduce((sum, part) => sum + part.byteLength, 0);
        counts.bytesSent += size;
        counts.objectsSent += packObjectCount(parts);
        if (request.url.endsWith('/git-receive-pack')) onProgress?.({ phase: 'Sending objects', loaded: size, total: size });
      } else if (body && typeof body === 'object' && Symbol.asyncIterator in body) {
        body = countIterable(body as AsyncIterable<Uint8Array>, (n) => (counts.bytesSent += n));
      }
      const response = await nodeHttp.request({ ...request, body: body as GitHttpRequest['body'] });
      if (response.body) {
        let received = 0;
        response.body = countIterable(response.body, (n) => {
          counts.bytesReceived += n;
          received += n;
          if (request.method === 'POST') onProgress?.({ phase: 'Receiving', loaded: received, total: 0 });
        });
      }
      return response;
    },
  };
}

async function* countIterable(source: AsyncIterable<Uint8Array>, count: (bytes: number) => void): AsyncIterableIterator<Uint8Array> {
  for await (const part of source) {
    count(part.byteLength);
    yield part;
  }
}

/** The object count of the packfile inside a receive-pack request (after its pkt-line commands), or 0. */
function packObjectCount(parts: Uint8Array[]): number {
  // Only the head matters: commands are short, the pack header is 12 bytes.
  const head: Uint8Array[] = [];
  let length = 0;
  for (const part of parts) {
    head.push(part);
    length += part.byteLength;
    if (length > 64 * 1024) break;
  }
  const bytes = Buffer.concat(head);
  let at = 0;
  // Skip pkt-lines up to and including the flush packet `0000`.
  while (at + 4 <= bytes.length) {
    const size = Number.parseInt(bytes.subarray(at, at + 4).toString('latin1'), 16);
    if (Number.isNaN(size)) return 0;
    at += size === 0 ? 4 : size;
    if (size === 0) break;
  }
  if (bytes.subarray(at, at + 4).toString('latin1') !== 'PACK' || at + 12 > bytes.length) return 0;
  return bytes.readUInt32BE(at + 8);
}

/**
 * `client`, but an upload-pack request whose every wanted commit is already
 * here is answered here, with no pack (what git's own fetch does when
 * "everything is local"): isomorphic-git asks the server for a pack even when
 * nothing changed, which costs the server an upload-pack and a pack-objects per
 * fetch, and a round trip. `local(id)` says whether an object and what it needs
 * are here (see fetch.ts). A request that names no want, or a want we lack,
 * goes to the server untouched.
 */
export function answeringLocalWants(client: HttpClient, local: (id: string) => Promise<boolean>): HttpClient {
  return {
    async request(request: GitHttpRequest): Promise<GitHttpResponse> {
      if (request.method !== 'POST' || !request.url.endsWith('/git-upload-pack') || !Array.isArray(request.body)) return client.request(request);
      const wants = uploadPackWants(Buffer.concat(request.body as Uint8Array[]));
      if (wants === undefined || wants.length === 0) return client.request(request);
      for (const want of wants) if (!(await local(want))) return client.request(request);
      // A NAK and no pack: isomorphic-git then writes no pack and moves the refs to what the server advertised.
      return {
        url: request.url,
        method: 'POST',
        statusCode: 200,
        statusMessage: 'OK',
        headers: { 'content-type': 'application/x-git-upload-pack-result' },
        body: (async function* () {
          yield Buffer.from('0008NAK\n');
        })(),
      };
    },
  };
}

/** The object ids after `want ` in an upload-pack request (protocol v1), or undefined when it does not parse as one. */
function uploadPackWants(bytes: Buffer): string[] | undefined {
  const wants: string[] = [];
  let at = 0;
  while (at + 4 <= bytes.length) {
    const head = bytes.subarray(at, at + 4).toString('latin1');
    if (!/^[0-9a-f]{4}$/i.test(head)) return undefined;
    const size = Number.parseInt(head, 16);
    if (size === 0) {
      at += 4;
      continue;
    }
    if (size < 4 || at + size > bytes.length) return undefined;
    const line = bytes.subarray(at + 4, at + size).toString('latin1');
    const want = /^want ([0-9a-f]{40})(?:[ \n\0]|$)/.exec(line);
    if (want) wants.push(want[1]!);
    // Anything that is not a want, a have, `done` or a deepening makes the request one we leave to the server.
    else if (!/^(have [0-9a-f]{40}|done)\s*$/.test(line)) return undefined;
    at += size;
  }
  return at === bytes.length ? wants : undefined;
}
