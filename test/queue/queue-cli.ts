import { spawn, type ChildProcess } from 'node:child_process';
import { CLI, dgit, type RunResult } from '../support/cli.js';

const ENV = { ...process.env, NO_COLOR: '1', GIT_AUTHOR_NAME: 'Test', GIT_AUTHOR_EMAIL: 'test@example.com', GIT_COMMITTER_NAME: 'Test', GIT_COMMITTER_EMAIL: 'test@example.com' };

/** `dgit queue ...` as users run it: the built CLI, in process (test/support/cli.ts). */
export function dgitQueue(cwd: string, ...args: string[]): RunResult {
  return dgit(cwd, 'queue', ...args);
}

export function dgitQueueOk(cwd: string, ...args: string[]): string {
  const result = dgitQueue(cwd, ...args);
  if (result.code !== 0) throw new Error(`dgit queue ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return result.stdout;
}

/** Start `dgit queue ...` as a process of its own, in the background (to kill it). */
export function spawnQueue(cwd: string, ...args: string[]): ChildProcess {
  return spawn(process.execPath, [CLI, 'queue', ...args], { cwd, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
}
