import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { dgitAsync, tempDir, type RunResult } from '../../support/cli.js';

/** A git config file with nothing in it, so the developer's credential helpers never answer in tests. */
const EMPTY_GIT_CONFIG = path.join(tempDir('dgit-remote-gitconfig-'), 'gitconfig');
fs.writeFileSync(EMPTY_GIT_CONFIG, '');

/** The environment of a dgit run: no tokens unless given, no global or system git config. */
export function remoteEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NO_COLOR: '1',
    GIT_AUTHOR_NAME: 'Test',
    GIT_AUTHOR_EMAIL: 'test@example.com',
    GIT_COMMITTER_NAME: 'Test',
    GIT_COMMITTER_EMAIL: 'test@example.com',
    GIT_CONFIG_GLOBAL: EMPTY_GIT_CONFIG,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
  };
  delete env.DGIT_TOKEN;
  delete env.DGIT_USERNAME;
  delete env.GITHUB_TOKEN;
  delete env.GITHUB_SERVER_URL;
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/** Run the dgit CLI in `cwd` in process, without blocking: the test's HTTP server runs in this thread. */
export function dgitRemote(cwd: string, env: NodeJS.ProcessEnv, ...args: string[]): Promise<RunResult> {
  return dgitAsync(cwd, env, ...args);
}

/** Like dgitRemote, failing with stderr unless it exits 0. */
export async function dgitRemoteOk(cwd: string, env: NodeJS.ProcessEnv, ...args: string[]): Promise<string> {
  const result = await dgitRemote(cwd, env, ...args);
  if (result.code !== 0) throw new Error(`dgit ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return result.stdout;
}

/** `git fsck --strict` on a repository (bare or not); throws with git's output on any problem. */
export function fsckStrict(dir: string): void {
  execFileSync('git', ['fsck', '--strict', '--no-dangling'], { cwd: dir, stdio: 'pipe', env: remoteEnv() });
}

/** What a ref points to in a repository, read by real git (undefined: no such ref). */
export function gitRef(dir: string, ref: string): string | undefined {
  const result = spawnSync('git', ['rev-parse', '--verify', '--quiet', ref], { cwd: dir, encoding: 'utf8', env: remoteEnv() });
  return result.status === 0 ? result.stdout.trim() : undefined;
}
