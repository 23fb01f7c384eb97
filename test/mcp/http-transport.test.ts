import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { serveHttp } from '../../mcp/http.js';
import { CLI_WITH_MCP, copyRepository, penguinRepository } from './support/mcp-fixture.js';

const INITIALIZE = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'curl', version: '1' } } };
const JSON_HEADERS = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' };

/** POST with node:http, which (unlike fetch) sends the Host header given; resolves to the status. */
function rawPost(url: URL, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.once('error', reject);
    request.end(body);
  });
}

/**
 * POST a body of `size` bytes with `Expect: 100-continue`: the body is sent only if
 * the server says continue. Resolves to the status and whether the body went out.
 */
function postExpectingContinue(url: URL, headers: Record<string, string>, size: number): Promise<{ status: number; sentBody: boolean }> {
  return new Promise((resolve, reject) => {
    let sentBody = false;
    const request = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { ...headers, 'Content-Length': String(size), Expect: '100-continue' } });
    request.on('continue', () => {
      sentBody = true;
      request.end(Buffer.alloc(size, 'x'));
    });
    request.on('response', (response) => {
      response.resume();
      response.on('end', () => resolve({ status: response.statusCode ?? 0, sentBody }));
    });
    request.once('error', reject);
    request.flushHeaders();
  });
}

/** Start `dgit mcp --http 0` and wait for the lines it prints: the URL, and the generated token. */
async function startHttpServer(dir: string): Promise<{ child: ChildProcess; url: string; token: string; stderr: () => string }> {
  const env = { ...process.env };
  delete env.DGIT_MCP_TOKEN;
  const child = spawn(process.execPath, [CLI_WITH_MCP, '-C', dir, 'mcp', '--http', '0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start: ${stderr}`)), 20_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const url = /serving read-only tools on (http:\/\/\S+)/.exec(stderr)?.[1];
      const token = /bearer token \(set DGIT_MCP_TOKEN to choose one\): (\S+)/.exec(stderr)?.[1];
      if (url && token) {
        clearTimeout(timer);
        expect(stdout).toBe('');
        resolve({ child, url, token, stderr: () => stderr });
      }
    });
    child.once('exit', (code) => reject(new Error(`the server exited ${code}: ${stderr}`)));
  });
}

describe('dgit mcp --http: Streamable HTTP with a bearer token, on 127.0.0.1', () => {
  let server: Awaited<ReturnType<typeof startHttpServer>>;

  beforeAll(async () => {
    server = await startHttpServer(copyRepository(await penguinRepository()));
  });
  afterAll(async () => {
    if (server?.child.exitCode === null) {
      const exited = new Promise((resolve) => server.child.once('exit', resolve));
      server.child.kill('SIGTERM');
      await exited;
    }
  });

  it('answers 401 without the bearer token, or with a wrong one', async () => {
    const missing = await fetch(server.url, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(INITIALIZE) });
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer /);
    const wrong = await fetch(server.url, { method: 'POST', headers: { ...JSON_HEADERS, Authorization: `Bearer ${server.token}x` }, body: JSON.stringify(INITIALIZE) });
    expect(wrong.status).toBe(401);
    const basic = await fetch(server.url, { method: 'POST', headers: { ...JSON_HEADERS, Authorization: `Basic ${Buffer.from(`x:${server.token}`).toString('base64')}` }, body: JSON.stringify(INITIALIZE) });
    expect(basic.status).toBe(401);
  });

  it('serves the SDK client that sends the token: read-only tools, and a query', async () => {
    const client = new Client({ name: 'http-agent', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers: { Authorization: `Bearer ${server.token}` } } }));
    try {
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).not.toContain('propose_fix');
      const result = await client.callTool({ name: 'query', arguments: { sql: 'SELECT count(*) AS n FROM penguins' } });
      expect(result.structuredContent).toMatchObject({ rows: [{ n: 344 }], fence: { untrusted: true } });
    } finally {
      await client.close();
    }
  });

  it('is bound to 127.0.0.1 only, and refuses a foreign Host or Origin even with the token', async () => {
    const url = new URL(server.url);
    expect(url.hostname).toBe('127.0.0.1');
    const external = Object.values(os.networkInterfaces())
      .flat()
      .find((address) => address && address.family === 'IPv4' && !address.internal);
    if (external) {
      const reached = await new Promise<boolean>((resolve) => {
        const socket = net.connect({ host: external.address, port: Number(url.port) });
        socket.once('connect', () => {
          socket.destroy();
          resolve(true);
        });
        socket.once('error', () => resolve(false));
      });
      expect(reached).toBe(false);
    }
    const auth = { ...JSON_HEADERS, Authorization: `Bearer ${server.token}` };
    // fetch drops a Host header; node:http sends it as a DNS-rebinding page would.
    expect(await rawPost(url, { ...auth, Host: `evil.example:${url.port}` }, JSON.stringify(INITIALIZE))).toBe(403);
    expect(await rawPost(url, { ...auth, Host: `localhost:${url.port}` }, JSON.stringify(INITIALIZE))).toBe(200);
    const page = await fetch(server.url, { method: 'POST', headers: { ...auth, Origin: 'https://evil.example' }, body: JSON.stringify(INITIALIZE) });
    expect(page.status).toBe(403);
  });

  it('refuses a body past the request limit before reading it, and unknown paths', async () => {
    const auth = { ...JSON_HEADERS, Authorization: `Bearer ${server.token}` };
    // A client that asks first is refused before it sends the body.
    expect(await postExpectingContinue(new URL(server.url), auth, 3 * 1024 * 1024)).toEqual({ status: 413, sentBody: false });
    // One that just sends is refused too, and sees the 413 (not a broken pipe) however busy the machine: the server drops what it sends first.
    const huge = await fetch(server.url, { method: 'POST', headers: auth, body: JSON.stringify({ ...INITIALIZE, padding: 'x'.repeat(3 * 1024 * 1024) }) });
    expect(huge.status).toBe(413);
    const elsewhere = await fetch(new URL('/admin', server.url), { method: 'POST', headers: auth, body: JSON.stringify(INITIALIZE) });
    expect(elsewhere.status).toBe(404);
    const noSession = await fetch(server.url, { method: 'POST', headers: auth, body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }) });
    expect(noSession.status).toBe(400);
  });
});

describe('MCP sessions over HTTP expire when idle', () => {
  const TOKEN = 'a-token-for-the-session-tests';
  const IDLE_MS = 60_000;
  const clock = { now: Date.parse('2026-01-01T00:00:00Z') };
  let handle: Awaited<ReturnType<typeof serveHttp>>;
  let dir: string;

  beforeAll(async () => {
    dir = copyRepository(await penguinRepository());
    handle = await serveHttp({ dir, port: 0, token: TOKEN, maxSessions: 1, sessionIdleMs: IDLE_MS, now: () => clock.now });
  });
  afterAll(async () => {
    await handle?.close();
  });

  const headers = (session?: string) => ({ ...JSON_HEADERS, Authorization: `Bearer ${TOKEN}`, ...(session ? { 'Mcp-Session-Id': session, 'Mcp-Protocol-Version': '2025-06-18' } : {}) });
  const initialize = () => fetch(handle.url, { method: 'POST', headers: headers(), body: JSON.stringify(INITIALIZE) });
  const listTools = (session: string) => fetch(handle.url, { method: 'POST', headers: headers(session), body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }) });

  it('an abandoned client holds its slot only until it has been idle for the timeout; a used one keeps it', async () => {
    const first = await initialize();
    expect(first.status).toBe(200);
    const abandoned = first.headers.get('mcp-session-id')!;
    expect(abandoned).toBeTruthy();
    expect((await initialize()).status).toBe(503); // the one slot is taken

    clock.now += IDLE_MS; // the first client went away
    const second = await initialize();
    expect(second.status).toBe(200);
    const active = second.headers.get('mcp-session-id')!;
    expect((await listTools(abandoned)).status).toBe(404); // expired: it must initialize again

    clock.now += IDLE_MS / 2;
    expect((await listTools(active)).status).toBe(200);
    clock.now += IDLE_MS / 2 + 1; // past the timeout since it opened, not since it was last used
    expect((await initialize()).status).toBe(503);
  });

  it('refuses a timeout that is not a positive duration', async () => {
    await expect(serveHttp({ dir, port: 0, token: TOKEN, sessionIdleMs: 0 })).rejects.toThrow(/positive duration/);
  });
});
