import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { CLI, type RunResult } from '../support/cli.js';

/** `dgit queue ...` as users run it: the built CLI. */
function command(): string[] {
  return [CLI];
}

const ENV = { ...process.env, NO_COLOR: '1', GIT_AUTHOR_NAME: 'Test', GIT_AUTHOR_EMAIL: 'test@example.com', GIT_COMMITTER_NAME: 'Test', GIT_COMMITTER_EMAIL: 'test@example.com' };

export function dgitQueue(cwd: string, ...args: string[]): RunResult {
  const result = spawnSync(process.execPath, [...command(), 'queue', ...args], { cwd, encoding: 'utf8', env: ENV });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

export function dgitQueueOk(cwd: string, ...args: string[]): string {
  const result = dgitQueue(cwd, ...args);
  if (result.code !== 0) throw new Error(`dgit queue ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return result.stdout;
}

/** Start `dgit queue ...` in the background (to kill it). */
export function spawnQueue(cwd: string, ...args: string[]): ChildProcess {
  return spawn(process.execPath, [...command(), 'queue', ...args], { cwd, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
}
