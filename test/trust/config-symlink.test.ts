import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir, writeFile } from '../support/cli.js';
import { dgitIn, dgitInOk } from '../cli/in-process.js';

beforeAll(() => {
  Object.assign(process.env, { GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@example.com' });
});

/**
 * A pull request can make dgit.yml a symbolic link to any file (a credentials file
 * beside the checkout, /proc/self/environ). dgit never follows it: `dgit check` on
 * the checkout (the working set) and on the commit both refuse it as an invalid
 * dgit.yml, and the target's content appears in no output.
 */
describe('dgit.yml as a symbolic link', () => {
  it('is refused, never read, on the working set and on the commit alike', async () => {
    const dir = tempDir();
    await dgitInOk(dir, 'init');
    await dgitInOk(dir, 'import', writeFile(dir, 't.csv', 'id\n1\n'), '--table', 't', '--key', 'id');
    await dgitInOk(dir, 'commit', '-m', 'load');
    const secret = path.join(tempDir(), 'credentials');
    fs.writeFileSync(secret, 'https://x-access-token:ghs_SECRET123@github.com\n');
    fs.symlinkSync(secret, path.join(dir, 'dgit.yml'));
    execFileSync('git', ['add', 'dgit.yml'], { cwd: dir });
    execFileSync('git', ['commit', '-q', '-m', 'PR: add dgit.yml'], { cwd: dir });
    for (const args of [['check', '--format', 'github'], ['check', 'HEAD', '--format', 'github'], ['status']]) {
      const run = await dgitIn(dir, ...args);
      expect(run.code, args.join(' ')).toBe(1);
      expect(run.stdout + run.stderr).toContain('dgit.yml is not a regular file');
      expect(run.stdout + run.stderr).not.toContain('SECRET123');
    }
  });
});
