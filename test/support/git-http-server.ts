import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

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

/** What the server process (test/support/git-http-child.mjs) says over its IPC channel. */
type ChildMessage =
  | { type: 'listening'; port: number }
  | { type: 'arrived'; id: number; exchange: GitHttpExchange }
  | { type: 'before'; id: number; method: string; path: string; service: string | undefined }
  | { type: 'replied'; id: number; status: number; responseBytes: number };

const CHILD = fileURLToPath(new URL('./git-http-child.mjs', import.meta.url));

/**
 * Git's smart HTTP served by the real `git http-backend` (spawned as a CGI per
 * request) behind a Node server on 127.0.0.1, as a hosting service would:
 * optional token auth, and a log of every exchange with its byte counts so tests
 * can assert how much a clone, fetch or push moved.
 *
 * The server runs in a small Node process of its own (git-http-child.mjs): a
 * fork of a test worker, gigabytes of mappings, costs tens of milliseconds of
 * kernel time, a fork of that process a fraction, and a bot test makes hundreds.
 * This side keeps the log and runs `beforeRequest`: the child asks before each
 * request reaches git, and answers a request only once its exchange is logged here.
 */
export class GitHttpServer {
  readonly exchanges: GitHttpExchange[] = [];
  private readonly pending = new Map<number, GitHttpExchange>();
  private port = 0;

  private constructor(
    private readonly child: ChildProcess,
    /** The folder holding the served bare repositories (GIT_PROJECT_ROOT). */
    readonly root: string,
    readonly options: GitHttpServerOptions,
  ) {}

  static async start(options: GitHttpServerOptions = {}): Promise<GitHttpServer> {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dgit-http-root-'));
    const config = { root, token: options.token, readOnlyToken: options.readOnlyToken, hooked: options.beforeRequest !== undefined };
    // Not `fork`: the worker's exec arguments (vitest's loader) are not the child's business.
    const child = spawn(process.execPath, [CHILD], {
      env: { ...process.env, DGIT_GIT_HTTP_CONFIG: JSON.stringify(config) },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    const instance = new GitHttpServer(child, root, options);
    const stderr: Buffer[] = [];
    child.stderr!.on('data', (b: Buffer) => stderr.push(b));
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`the git HTTP server exited ${code} before listening: ${Buffer.concat(stderr).toString()}`)));
      child.on('message', (message: ChildMessage) => {
        if (message.type === 'listening') {
          instance.port = message.port;
          resolve();
        } else instance.onMessage(message);
      });
    });
    child.removeAllListeners('exit');
    // A send to a child that died is seen by the request that waits on it (the client's own error): no crash here.
    child.on('error', () => undefined);
    // The server lives as long as the test needs it; it must not keep the worker alive on its own.
    child.unref();
    child.channel?.unref();
    return instance;
  }

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
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
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.child.send({ type: 'close' });
      await exited;
    }
    fs.rmSync(this.root, { recursive: true, force: true });
  }

  /** Log what the child says, run the hook when it asks, and answer it. */
  private onMessage(message: ChildMessage): void {
    if (message.type === 'arrived') {
      // JSON drops undefined fields: every field is there, as a test may match it.
      const { method, path: requestPath, service, status, requestBytes, responseBytes, user } = message.exchange;
      const exchange: GitHttpExchange = { method, path: requestPath, service, status, requestBytes, responseBytes, user };
      this.exchanges.push(exchange);
      this.pending.set(message.id, exchange);
    } else if (message.type === 'before') {
      const { id, method, path: requestPath, service } = message;
      Promise.resolve()
        .then(() => this.options.beforeRequest?.({ method, path: requestPath, service }))
        .then(
          () => this.child.send({ type: 'proceed', id }),
          (error: unknown) => this.child.send({ type: 'proceed', id, error: String(error) }),
        );
    } else if (message.type === 'replied') {
      const exchange = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (exchange) Object.assign(exchange, { status: message.status, responseBytes: message.responseBytes });
      this.child.send({ type: 'recorded', id: message.id });
    }
  }
}
