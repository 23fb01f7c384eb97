import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { repositorySnapshot, tempDir, writeFile } from '../support/cli.js';
import { dgitIn, dgitInOk } from './in-process.js';

const env = { GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@example.com' };

describe('a detached HEAD (git checkout <commit>)', () => {
  it("reads show HEAD's commit, as git's do; what writes the working set is refused", async () => {
    Object.assign(process.env, env);
    const dir = tempDir();
    await dgitInOk(dir, 'init');
    await dgitInOk(dir, 'import', writeFile(tempDir(), 't.csv', 'id,v\n1,old\n'), '--table', 't', '--key', 'id');
    await dgitInOk(dir, 'commit', '-m', 'old');
    await dgitInOk(dir, 'sql', "UPDATE t SET v = 'new'");
    await dgitInOk(dir, 'commit', '-m', 'new');
    execFileSync('git', ['checkout', '--quiet', 'HEAD~1'], { cwd: dir });

    expect(await dgitInOk(dir, 'export', 't', '--format', 'csv')).toBe('id,v\n1,old\n');
    expect(await dgitInOk(dir, 'sql', 'SELECT v FROM t', '--format', 'csv')).toBe('v\nold\n');
    expect(JSON.parse(await dgitInOk(dir, 'tables', '--json')).tables.map((t: { table: string; rows: number }) => [t.table, t.rows])).toEqual([['t', 1]]);
    expect(JSON.parse(await dgitInOk(dir, 'check', '--json')).revision).toBe(execFileSync('git', ['rev-parse', 'HEAD'], { cwd: dir, encoding: 'utf8' }).trim());

    const before = repositorySnapshot(dir);
    const refused = await dgitIn(dir, 'sql', "UPDATE t SET v = 'x'");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/HEAD is detached; switch to a branch first/);
    expect(repositorySnapshot(dir)).toBe(before);
  });
});
