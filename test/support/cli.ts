import { spawnSync, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MessageChannel, Worker, receiveMessageOnPort } from 'node:worker_threads';

export const ROOT = path.resolve(import.meta.dirname, '../..');
/** The built `dgit` command as users run it (the bundle; see rolldown.config.mjs). */
export const CLI = path.join(ROOT, 'dist/bundle/dgit.js');
export const DATA = path.join(ROOT, 'node_modules/vega-datasets/data');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

const TEST_ENV = { NO_COLOR: '1', GIT_AUTHOR_NAME: 'Test', GIT_AUTHOR_EMAIL: 'test@example.com', GIT_COMMITTER_NAME: 'Test', GIT_COMMITTER_EMAIL: 'test@example.com' };

let cliWorker: Worker | undefined;

/**
 * Run the built `dgit` CLI as a user would, in process: a worker thread runs the
 * CLI's `main` with `-C cwd`, its own environment and captured output, while this
 * thread waits (so the call stays synchronous). Commands must not depend on a
 * server in this thread: use `dgitProcess` for those.
 */
export function dgit(cwd: string, ...args: string[]): RunResult {
  const flag = new SharedArrayBuffer(4);
  const { port1, port2 } = new MessageChannel();
  worker().postMessage({ args, cwd: path.resolve(cwd), env: { ...process.env, ...TEST_ENV }, flag, port: port2 }, [port2]);
  const waited = Atomics.wait(new Int32Array(flag), 0, 0, 10 * 60_000);
  const message = receiveMessageOnPort(port1);
  port1.close();
  if (waited === 'timed-out' || !message) throw new Error(`dgit ${args.join(' ')} gave no answer in 10 minutes`);
  return message.message as RunResult;
}

/**
 * Run the CLI in process without blocking this thread, with exactly the environment
 * given: for tests whose servers (git over HTTP, a stand-in GitHub) run in this thread.
 */
export function dgitAsync(cwd: string, env: NodeJS.ProcessEnv, ...args: string[]): Promise<RunResult> {
  const { port1, port2 } = new MessageChannel();
  worker().postMessage({ args, cwd: path.resolve(cwd), env, port: port2 }, [port2]);
  return new Promise((resolve) => {
    port1.once('message', (result: RunResult) => {
      port1.close();
      resolve(result);
    });
  });
}

/**
 * The in-process CLI's worker thread. It serves every test file of its vitest worker
 * (each command gets its own environment, working directory and captured output;
 * the CLI keeps no state between commands that a file could see), and it is
 * unref'd: it never keeps the process alive.
 */
function worker(): Worker {
  if (!cliWorker) {
    cliWorker = new Worker(new URL('./cli-worker.mjs', import.meta.url));
    cliWorker.unref();
  }
  return cliWorker;
}

/** Run the built `dgit` CLI in a new process (for tests that serve HTTP from this thread, or kill the process). */
export function dgitProcess(cwd: string, ...args: string[]): RunResult {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ...TEST_ENV },
    maxBuffer: 256 * 1024 * 1024,
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** Run dgit and fail with its stderr unless it exits 0. */
export function dgitOk(cwd: string, ...args: string[]): string {
  const result = dgit(cwd, ...args);
  if (result.code !== 0) throw new Error(`dgit ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return result.stdout;
}

export function gitOut(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export function tempDir(prefix = 'dgit-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Write a file of text into `dir` and return its path. */
export function writeFile(dir: string, name: string, content: string | Uint8Array): string {
  const file = path.join(dir, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
}

/** A snapshot of everything a failed command must leave as it was: refs, working-set state, objects. */
export function repositorySnapshot(dir: string): string {
  const gitdir = path.join(dir, '.git');
  const lines: string[] = [];
  const walk = (folder: string, skip: (rel: string) => boolean) => {
    if (!fs.existsSync(folder)) return;
    for (const entry of fs.readdirSync(folder, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(folder, entry.name);
      const rel = path.relative(gitdir, full);
      if (skip(rel)) continue;
      if (entry.isDirectory()) walk(full, skip);
      else lines.push(`${rel} ${entry.name.endsWith('.pack') || rel.startsWith('objects') ? fs.statSync(full).size : fs.readFileSync(full, 'utf8')}`);
    }
  };
  walk(gitdir, (rel) => rel.startsWith('dgit/cache') || rel.startsWith('dgit/tmp') || rel === 'index' || rel.startsWith('logs'));
  return lines.join('\n');
}
