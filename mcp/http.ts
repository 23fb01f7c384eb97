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
 * (413) before they are parsed. Each MCP session gets its own sandbox.
 */
export async function serveHttp(options: HttpServeOptions): Promise<HttpServerHandle> {
  const prepared = await prepareServe(options);
  const host = options.host ?? '127.0.0.1';
  const given = options.token ?? process.env.DGIT_MCP_TOKEN;
  if (given !== undefined && given.length < MIN_TOKEN_LENGTH) throw new UsageError(`the bearer token must be at least ${MIN_TOKEN_LENGTH} characters`, '--token');
  const token = given ?? crypto.randomBytes(24).toString('base64url');
  const tokenDigest = digest(token);
  const maxSessions = options.maxSessions ?? 16;
  const queryGate = new QueryGate(prepared.limits.queryConcurrency);
  const sessions = new Map<string, { transport: StreamableHTTPServerTransport; server: Server }>();
  let port = options.port;

  const allowedHosts = () => new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
  const allowedOrigins = () => new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`, `http://[::1]:${port}`]);

  async function handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
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
      const text = await readBody(request, prepared.limits.requestBytes + 64 * 1024);
      if (text === undefined) {
        response.setHeader('Connection', 'close');
        return reply(response, 413, `the request is larger than ${prepared.limits.requestBytes} bytes`);
      }
      try {
        body = JSON.parse(text);
      } catch {
        return jsonRpcError(response, 400, -32700, 'parse error: the body is not JSON');
      }
    }

    const sessionId = request.headers['mcp-session-id'];
    if (typeof sessionId === 'string') {
      const session = sessions.get(sessionId);
      if (!session) return jsonRpcError(response, 404, -32001, 'session not found');
      return session.transport.handleRequest(request, response, body);
    }
    if (request.method !== 'POST' || !isInitializeRequest(body)) return jsonRpcError(response, 400, -32000, 'no session: send an initialize request first');
    if (sessions.size >= maxSessions) return jsonRpcError(response, 503, -32000, `too many sessions open (${maxSessions})`);

    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => crypto.randomUUID(),
      enableJsonResponse: true,
      onsessioninitialized: (id) => {
        sessions.set(id, { transport, server });
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

  const httpServer = http.createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) reply(response, 500, error instanceof Error ? error.message.slice(0, 200) : 'internal error');
      else response.end();
    });
  });
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

/** The body as text, or undefined once it passes `limit` bytes (the rest is not read). */
async function readBody(request: http.IncomingMessage, limit: number): Promise<string | undefined> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function reply(response: http.ServerResponse, status: number, message: string): void {
  response.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: message }));
}

function jsonRpcError(response: http.ServerResponse, status: number, code: number, message: string): void {
  response.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}
