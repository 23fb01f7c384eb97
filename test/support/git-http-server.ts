import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** Debian's git ships the CGI here. */
export const GIT_HTTP_BACKEND = '/usr/lib/git-core/git-http-backend';

/** One request the server answered, with the bytes that crossed the wire (bodies, not headers). */
export interface GitHttpExchange {
  method: string;
  /** Path below the server root, e.g. `/data.git/git-receive-pack`. */
  path: string;
  /** `git-upload-pack` (clone, fetch) or `git-receive-pack` (push), from the path or query. */
  service: string | undefined;
  status: number;
  requestBytes: number;
  responseBytes: number;
  /** The basic-auth user name the client sent, if any. */
  user: string | undefined;
}

export interface GitHttpServerOptions {
  /** Require HTTP basic auth whose password is this token (any user name); 401 otherwise. */
  token?: string;
  /** A token that may read but not push: receive-pack answers 403 with it. */
  readOnlyToken?: string;
  /** Runs before a request reaches git (after the auth check): tests use it to stage races. */
  beforeRequest?: (exchange: { method: string; path: string; service: string | undefined }) => void | Promise<void>;
}

/**
 * Git's smart HTTP served by the real `git http-backend` (spawned as a CGI per
 * request) behind a Node server on 127.0.0.1, as a hosting service would:
 * optional token auth, and a log of every exchange with its byte counts so tests
 * can assert how much a clone, fetch or push moved.
 */
export class GitHttpServer {
  readonly exchanges: GitHttpExchange[] = [];
  private constructor(
    private readonly server: http.Server,
    /** The folder holding the served bare repositories (GIT_PROJECT_ROOT). */
    readonly root: string,
    readonly options: GitHttpServerOptions,
  ) {}

  static async start(options: GitHttpServerOptions = {}): Promise<GitHttpServer> {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dgit-http-root-'));
    let instance: GitHttpServer | undefined;
    const server = http.createServer((request, response) => {
      instance!.handle(request, response).catch((error: unknown) => {
        if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
        response.end(String(error));
      });
    });
    instance = new GitHttpServer(server, root, options);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return instance;
  }

  get origin(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The URL of repository `name` (e.g. `data.git`). */
  url(name: string): string {
    return `${this.origin}/${name}`;
  }

  /** The bare repository's folder on the server side. */
  repositoryPath(name: string): string {
    return path.join(this.root, name);
  }

  /** Make an empty bare repository that accepts pushes. */
  createBareRepository(name: string, initialBranch = 'main'): string {
    const dir = this.repositoryPath(name);
    execFileSync('git', ['init', '--quiet', '--bare', `--initial-branch=${initialBranch}`, dir], { stdio: 'pipe' });
    execFileSync('git', ['config', 'http.receivepack', 'true'], { cwd: dir, stdio: 'pipe' });
    return dir;
  }

  /** Serve a copy of an existing repository (`git clone --bare`), accepting pushes. */
  serveCopyOf(source: string, name: string): string {
    const dir = this.repositoryPath(name);
    execFileSync('git', ['clone', '--quiet', '--bare', source, dir], { stdio: 'pipe' });
    execFileSync('git', ['config', 'http.receivepack', 'true'], { cwd: dir, stdio: 'pipe' });
    return dir;
  }

  /** Exchanges since `from` (an index into `exchanges`). */
  since(from: number): GitHttpExchange[] {
    return this.exchanges.slice(from);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    fs.rmSync(this.root, { recursive: true, force: true });
  }

  private async handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.origin);
    const method = request.method ?? 'GET';
    const service = url.searchParams.get('service') ?? /\/(git-upload-pack|git-receive-pack)$/.exec(url.pathname)?.[1];
    const body = await readBody(request);
    const exchange: GitHttpExchange = { method, path: url.pathname, service, status: 0, requestBytes: body.length, responseBytes: 0, user: undefined };
    this.exchanges.push(exchange);

    const credentials = basicAuth(request.headers.authorization);
    exchange.user = credentials?.user;
    if (this.options.token !== undefined) {
      const valid = credentials && (credentials.password === this.options.token || credentials.password === this.options.readOnlyToken);
      if (!valid) return this.reply(response, exchange, 401, { 'www-authenticate': 'Basic realm="git"', 'content-type': 'text/plain' }, 'authentication required\n');
      if (service === 'git-receive-pack' && credentials.password === this.options.readOnlyToken) {
        return this.reply(response, exchange, 403, { 'content-type': 'text/plain' }, 'this token may not push\n');
      }
    }
    await this.options.beforeRequest?.({ method, path: url.pathname, service });

    const cgi = spawn(GIT_HTTP_BACKEND, [], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: this.root,
        GIT_CONFIG_NOSYSTEM: '1',
        GIT_PROJECT_ROOT: this.root,
        GIT_HTTP_EXPORT_ALL: '1',
        REQUEST_METHOD: method,
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.replace(/^\?/, ''),
        CONTENT_TYPE: request.headers['content-type'] ?? '',
        CONTENT_LENGTH: String(body.length),
        REMOTE_USER: credentials?.user ?? 'anonymous',
        REMOTE_ADDR: '127.0.0.1',
        ...(request.headers['git-protocol'] ? { GIT_PROTOCOL: String(request.headers['git-protocol']) } : {}),
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    cgi.stdout.on('data', (b: Buffer) => out.push(b));
    cgi.stderr.on('data', (b: Buffer) => err.push(b));
    cgi.stdin.on('error', () => undefined); // the CGI may exit before reading everything (an error reply)
    cgi.stdin.end(body);
    const code = await new Promise<number>((resolve) => cgi.on('close', (c) => resolve(c ?? 1)));
    const output = Buffer.concat(out);
    const split = headerEnd(output);
    if (split === undefined) {
      return this.reply(response, exchange, 500, { 'content-type': 'text/plain' }, `git http-backend exited ${code}: ${Buffer.concat(err).toString()}`);
    }
    const headers: Record<string, string> = {};
    let status = 200;
    for (const line of output.subarray(0, split.at).toString('latin1').split(/\r?\n/)) {
      const colon = line.indexOf(':');
      if (colon < 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === 'status') status = Number.parseInt(value, 10);
      else headers[name] = value;
    }
    this.reply(response, exchange, status, headers, output.subarray(split.at + split.length));
  }

  private reply(response: http.ServerResponse, exchange: GitHttpExchange, status: number, headers: Record<string, string>, body: string | Buffer): void {
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    exchange.status = status;
    exchange.responseBytes = bytes.length;
    response.writeHead(status, { ...headers, 'content-length': String(bytes.length) });
    response.end(bytes);
  }
}

async function readBody(request: http.IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of request) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

function basicAuth(header: string | undefined): { user: string; password: string } | undefined {
  const match = /^Basic\s+(.+)$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? { user: decoded, password: '' } : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Where the CGI's header block ends (a blank line, CRLF or LF). */
function headerEnd(output: Buffer): { at: number; length: number } | undefined {
  const crlf = output.indexOf('\r\n\r\n');
  const lf = output.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return { at: crlf, length: 4 };
  if (lf >= 0) return { at: lf, length: 2 };
  return undefined;
}
