import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { createAgentServer } from './agent-server.js';
import { QueryGate } from './query-gate.js';
import { prepareServe, type ServeOptions } from './serve-options.js';
import { UsageError } from '../engine/index.js';

export interface HttpServeOptions extends ServeOptions {
  /** The port (0: any free port). */
  port: number;
  /** The address to bind; 127.0.0.1 by default. Anything but a loopback address exposes the server to the network. */
  host?: string;
  /** The bearer token clients must send. Default: DGIT_MCP_TOKEN, else a random one (`tokenGenerated` is then set). */
  token?: string;
  /** Most MCP sessions open at once (default 16). */
  maxSessions?: number;
  /**
   * A session unused this long is closed, so that abandoned clients do not hold
   * every slot (default 15 minutes). A session with a request in flight is never closed.
   */
  sessionIdleMs?: number;
  /** The clock sessions' idleness is measured with (default `Date.now`; tests move one by hand). */
  now?: () => number;
}

export interface HttpServerHandle {
  /** The MCP endpoint, e.g. http://127.0.0.1:8765/mcp. */
  url: string;
  host: string;
  port: number;
  token: string;
  /** Whether the token was made up here (so the caller must show it to the user). */
  tokenGenerated: boolean;
  close(): Promise<void>;
}

/** The path of the MCP endpoint. */
export const MCP_PATH = '/mcp';
const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
const MIN_TOKEN_LENGTH = 16;

/**
 * Serve agents over MCP's Streamable HTTP transport. Every request must carry
 * `Authorization: Bearer <token>` (401 otherwise); on a loopback address the Host
 * and Origin headers must name this server too (403 otherwise), so a web page
 * cannot reach it by DNS rebinding. Bodies past the request limit are refused
 * (413) before they are parsed (before they are sent, for a client that asks
 * `Expect: 100-continue`). Each MCP session gets its own sandbox, and is closed
 * once idle for `sessionIdleMs`.
 */
export async function serveHttp(options: HttpServeOptions): Promise<HttpServerHandle> {
  const idleMs = options.sessionIdleMs ?? DEFAULT_SESSION_IDLE_MS;
  if (!Number.isFinite(idleMs) || idleMs <= 0) throw new UsageError(`the session idle timeout must be a positive duration, not ${idleMs} ms`, '--session-idle-timeout');
  const prepared = await prepareServe(options);
  const host = options.host ?? '127.0.0.1';
  const given = options.token ?? process.env.DGIT_MCP_TOKEN;
  if (given !== undefined && given.length < MIN_TOKEN_LENGTH) throw new UsageError(`the bearer token must be at least ${MIN_TOKEN_LENGTH} characters`, '--token');
  const token = given ?? crypto.randomBytes(24).toString('base64url');
  const tokenDigest = digest(token);
  const maxSessions = options.maxSessions ?? 16;
  const queryGate = new QueryGate(prepared.limits.queryConcurrency);
  const sessions = new Map<string, McpSession>();
  const now = options.now ?? Date.now;
  let port = options.port;

  /** Close every session idle past the timeout (and not serving a request). */
  async function expireIdleSessions(): Promise<void> {
    const at = now();
    for (const [id, session] of [...sessions]) {
      if (session.inFlight > 0 || at - session.lastUsed < idleMs) continue;
      sessions.delete(id);
      await session.server.close().catch(() => undefined);
    }
  }

  const allowedHosts = () => new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
  const allowedOrigins = () => new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`, `http://[::1]:${port}`]);

  async function handle(request: http.IncomingMessage, response: http.ServerResponse, expectsContinue = false): Promise<void> {
    if (!authorized(request.headers.authorization, tokenDigest)) {
      response.setHeader('WWW-Authenticate', 'Bearer realm="dgit mcp"');
      return reply(response, 401, 'a bearer token is required (Authorization: Bearer <token>)');
    }
    if (LOOPBACK.has(host)) {
      if (!allowedHosts().has(String(request.headers.host ?? '').toLowerCase())) return reply(response, 403, 'the Host header does not name this server');
      const origin = request.headers.origin;
      if (origin !== undefined && !allowedOrigins().has(origin.toLowerCase())) return reply(response, 403, 'requests from web pages of other origins are refused');
    }
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname !== MCP_PATH) return reply(response, 404, `the MCP endpoint is ${MCP_PATH}`);

    let body: unknown;
    if (request.method === 'POST') {
      const limit = prepared.limits.requestBytes + 64 * 1024;
      const tooLarge = () => {
        response.setHeader('Connection', 'close');
        reply(response, 413, `the request is larger than ${prepared.limits.requestBytes} bytes`);
      };
      // A client that asked `Expect: 100-continue` is told before it sends a byte of the body.
      if (expectsContinue && declaredLength(request) > limit) return tooLarge();
      if (expectsContinue) response.writeContinue();
      const text = await readBody(request, limit);
      if (text === undefined) return tooLarge();
      try {
        body = JSON.parse(text);
      } catch {
        return jsonRpcError(response, 400, -32700, 'parse error: the body is not JSON');
      }
    }

    await expireIdleSessions();
    const sessionId = request.headers['mcp-session-id'];
    if (typeof sessionId === 'string') {
      const session = sessions.get(sessionId);
      if (!session) return jsonRpcError(response, 404, -32001, 'session not found (it may have expired after being idle; initialize a new one)');
      session.inFlight += 1;
      try {
        return await session.transport.handleRequest(request, response, body);
      } finally {
        session.inFlight -= 1;
        session.lastUsed = now();
      }
    }
    if (request.method !== 'POST' || !isInitializeRequest(body)) return jsonRpcError(response, 400, -32000, 'no session: send an initialize request first');
    if (sessions.size >= maxSessions) return jsonRpcError(response, 503, -32000, `too many sessions open (${maxSessions}); idle ones close after ${Math.round(idleMs / 1000)} s`);

    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => crypto.randomUUID(),
      enableJsonResponse: true,
      onsessioninitialized: (id) => {
        sessions.set(id, { transport, server, lastUsed: now(), inFlight: 0 });
      },
    });
    const server = createAgentServer({
      dir: prepared.dir,
      allowPropose: prepared.allowPropose,
      sandbox: prepared.sandbox(),
      audit: prepared.audit,
      transport: 'http',
      limits: prepared.limits,
      queryGate,
      version: options.version,
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await server.connect(transport);
    await transport.handleRequest(request, response, body);
  }

  const serve = (request: http.IncomingMessage, response: http.ServerResponse, expectsContinue: boolean) => {
    handle(request, response, expectsContinue).catch((error: unknown) => {
      if (!response.headersSent) reply(response, 500, error instanceof Error ? error.message.slice(0, 200) : 'internal error');
      else response.end();
    });
  };
  const httpServer = http.createServer((request, response) => serve(request, response, false));
  httpServer.on('checkContinue', (request: http.IncomingMessage, response: http.ServerResponse) => serve(request, response, true));
  // Idle sessions are also closed without waiting for the next request (their sandboxes and DuckDB handles freed).
  const sweeper = setInterval(() => void expireIdleSessions(), Math.min(idleMs, 60_000));
  sweeper.unref();
  httpServer.requestTimeout = 120_000;
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port, host, () => {
      httpServer.off('error', reject);
      resolve();
    });
  });
  port = (httpServer.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}${MCP_PATH}`,
    host,
    port,
    token,
    tokenGenerated: given === undefined,
    async close() {
      clearInterval(sweeper);
      for (const { server } of [...sessions.values()]) await server.close().catch(() => undefined);
      sessions.clear();
      await new Promise<void>((resolve) => {
        httpServer.close(() => resolve());
        httpServer.closeAllConnections();
      });
    },
  };
}

function digest(text: string): Buffer {
  return crypto.createHash('sha256').update(text, 'utf8').digest();
}

/** Whether the Authorization header carries the token (compared in constant time). */
function authorized(header: string | undefined, tokenDigest: Buffer): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!match) return false;
  return crypto.timingSafeEqual(digest(match[1]!), tokenDigest);
}

/** How long an MCP session may stay unused before it is closed. */
export const DEFAULT_SESSION_IDLE_MS = 15 * 60_000;

/** Bodies past the limit but under this many bytes are read and dropped before the 413, so the client is done sending when it comes. */
const DISCARD_BYTES = 16 * 1024 * 1024;

interface McpSession {
  transport: StreamableHTTPServerTransport;
  server: Server;
  /** When its last request finished (or it was opened), on the server's clock. */
  lastUsed: number;
  /** Requests being served now: a session is never closed under one. */
  inFlight: number;
}

function declaredLength(request: http.IncomingMessage): number {
  const declared = Number(request.headers['content-length']);
  return Number.isFinite(declared) ? declared : 0;
}

/**
 * The body as text, or undefined once it passes `limit` bytes: nothing past the
 * limit is kept. A client that did not ask `Expect: 100-continue` is sending the
 * body anyway; answering while it sends makes it see a broken pipe instead of the
 * 413, depending on timing. So up to DISCARD_BYTES are read and dropped first,
 * and the 413 reaches it whatever the load; past that the connection is closed.
 */
async function readBody(request: http.IncomingMessage, limit: number): Promise<string | undefined> {
  const declared = declaredLength(request);
  if (declared > DISCARD_BYTES) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > DISCARD_BYTES) return undefined;
    if (size <= limit) chunks.push(chunk as Buffer);
  }
  return size > limit ? undefined : Buffer.concat(chunks).toString('utf8');
}

function reply(response: http.ServerResponse, status: number, message: string): void {
  response.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: message }));
}

function jsonRpcError(response: http.ServerResponse, status: number, code: number, message: string): void {
  response.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}
