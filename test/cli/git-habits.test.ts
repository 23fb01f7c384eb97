import { beforeAll, describe, expect, it } from 'vitest';
import { gitOut, repositorySnapshot, tempDir, writeFile } from '../support/cli.js';
import { dgitIn, dgitInOk } from './in-process.js';

beforeAll(() => {
  Object.assign(process.env, { GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@example.com' });
});

async function committedTable(): Promise<string> {
  const dir = tempDir();
  await dgitInOk(dir, 'init');
  await dgitInOk(dir, 'import', writeFile(tempDir(), 'in.csv', 'id,x\n1,a\n2,b\n'), '--table', 't', '--key', 'id');
  await dgitInOk(dir, 'commit', '-m', 'first rows');
  return dir;
}

describe('git habits work in dgit', () => {
  it('switch -c carries uncommitted edits to the new branch and leaves the old one clean', async () => {
    const dir = await committedTable();
    await dgitInOk(dir, 'sql', "UPDATE t SET x = 'changed' WHERE id = 1");
    expect(await dgitInOk(dir, 'switch', '-c', 'experiment')).toBe('Switched to a new branch experiment\n');
    const status = JSON.parse(await dgitInOk(dir, 'status', '--json')) as { branch: string; tables: Array<{ summary: { modified: number } }> };
    expect(status.branch).toBe('experiment');
    expect(status.tables[0]!.summary.modified).toBe(1);
    await dgitInOk(dir, 'commit', '-m', 'the edit, on its own branch');
    await dgitInOk(dir, 'switch', 'main');
    expect(JSON.parse(await dgitInOk(dir, 'status', '--json'))).toMatchObject({ clean: true });
    expect(await dgitInOk(dir, 'sql', 'SELECT x FROM t WHERE id = 1', '--format', 'csv')).toBe('x\na\n');
    expect(gitOut(dir, 'status', '--porcelain')).toBe('');
  });

  it('switching to the current branch is a no-op that keeps the edits', async () => {
    const dir = await committedTable();
    await dgitInOk(dir, 'sql', 'DELETE FROM t WHERE id = 2');
    const before = repositorySnapshot(dir);
    expect(await dgitIn(dir, 'switch', 'main')).toMatchObject({ code: 0, stdout: 'Already on main\n' });
    expect(repositorySnapshot(dir)).toBe(before);
  });

  it('log --oneline prints the short id and subject of each commit', async () => {
    const dir = await committedTable();
    await dgitInOk(dir, 'import', writeFile(tempDir(), 'more.csv', 'id,x\n3,c\n'), '--table', 't', '--mode', 'append');
    await dgitInOk(dir, 'commit', '-m', 'more rows\n\nwith a body');
    const expected = gitOut(dir, 'log', '--oneline', '--abbrev=7', '--no-decorate');
    expect(await dgitInOk(dir, 'log', '--oneline')).toBe(expected);
  });

  it('init in a plain git repository says what it did, not "adopted existing dgit repository"', async () => {
    const dir = tempDir();
    gitOut(dir, 'init', '-q');
    const out = await dgitInOk(dir, 'init');
    expect(out).toMatch(/^Made the existing git repository in .* a dgit repository \(its history and files are unchanged\)\n$/);
    expect(await dgitInOk(dir, 'init')).toMatch(/^Reinitialized existing dgit repository in /);
  });
});
