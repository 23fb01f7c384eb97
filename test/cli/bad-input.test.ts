import { beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { DATA, dgit, dgitOk, repositorySnapshot, tempDir, writeFile } from '../support/cli.js';

/**
 * Every bad input: a clear error naming what and where, a non-zero exit, and the
 * repository exactly as it was (refs, working-set state, objects).
 */
describe('bad input leaves the repository exactly as it was', () => {
  let dir: string;
  let files: string;
  beforeAll(() => {
    files = tempDir();
    dir = path.join(files, 'repo');
    dgitOk(files, 'init', 'repo');
    dgitOk(dir, 'import', writeFile(files, 'base.csv', 'id,name,n\n1,a,10\n2,b,20\n'), '--table', 't', '--key', 'id');
    dgitOk(dir, 'commit', '-m', 'base');
    // and an uncommitted change, which must survive too
    dgitOk(dir, 'import', writeFile(files, 'more.csv', 'id,name,n\n3,c,30\n'), '--table', 't', '--mode', 'upsert');
  });

  const cases: Array<{ name: string; args: () => string[]; message: RegExp; code?: number }> = [
    {
      name: 'a ragged CSV row',
      args: () => ['import', writeFile(files, 'ragged.csv', 'id,name,n\n4,d,40\n5,e\n6,f,60\n'), '--table', 't', '--mode', 'upsert'],
      message: /ragged\.csv:3: .*fields/,
    },
    {
      name: 'a truncated Parquet file',
      args: () => {
        const whole = fs.readFileSync(path.join(DATA, 'flights-3m.parquet'));
        return ['import', writeFile(files, 'truncated.parquet', whole.subarray(0, 50_000)), '--table', 'flights'];
      },
      message: /truncated\.parquet/,
    },
    { name: 'an empty file', args: () => ['import', writeFile(files, 'empty.csv', ''), '--table', 'e'], message: /empty\.csv/ },
    {
      name: 'a duplicate primary key within the import',
      args: () => ['import', writeFile(files, 'dup.csv', 'id,name,n\n7,g,1\n8,h,2\n7,i,3\n'), '--table', 't', '--mode', 'upsert'],
      message: /duplicate.*7/i,
    },
    {
      name: 'a null in a key column',
      args: () => ['import', writeFile(files, 'nullkey.csv', 'id,name,n\n9,j,1\n,k,2\n'), '--table', 't', '--mode', 'upsert'],
      message: /null.*id|id.*null/i,
    },
    {
      name: 'a value that does not fit the column type',
      args: () => ['import', writeFile(files, 'type.csv', 'id,name,n\n10,l,not-a-number\n'), '--table', 't', '--mode', 'upsert'],
      message: /\bn\b.*not-a-number|not-a-number.*\bn\b/,
    },
    {
      name: 'an unknown table for delete',
      args: () => ['import', writeFile(files, 'keys.csv', 'id\n1\n'), '--table', 'nope', '--mode', 'delete'],
      message: /table "nope" not found; tables: t/,
      code: 2,
    },
    { name: 'an empty table name', args: () => ['import', writeFile(files, 'ok.csv', 'id\n1\n'), '--table', ''], message: /invalid table name/, code: 2 },
    { name: 'a table name with a slash', args: () => ['import', writeFile(files, 'ok.csv', 'id\n1\n'), '--table', 'a/b'], message: /invalid table name/, code: 2 },
    { name: 'a table name with ..', args: () => ['import', writeFile(files, 'ok.csv', 'id\n1\n'), '--table', '..'], message: /invalid table name/, code: 2 },
    { name: 'a table name with a control character', args: () => ['import', writeFile(files, 'ok.csv', 'id\n1\n'), '--table', 'a\u0007b'], message: /invalid table name/, code: 2 },
    { name: 'a column name with a slash', args: () => ['import', writeFile(files, 'col.csv', 'id,"a/b"\n1,2\n'), '--table', 'c'], message: /col\.csv:1: invalid column name "a\/b"/ },
    { name: 'a column name with ..', args: () => ['import', writeFile(files, 'col2.csv', 'id,"x..y"\n1,2\n'), '--table', 'c'], message: /col2\.csv:1: invalid column name/ },
    { name: 'an unknown ref', args: () => ['tables', '--rev', 'no-such-ref'], message: /revision "no-such-ref" not found; branches and tags: main/, code: 2 },
    { name: 'a key on an existing table', args: () => ['import', writeFile(files, 'k.csv', 'id,name,n\n1,a,1\n'), '--table', 't', '--key', 'name'], message: /--key/, code: 2 },
    { name: 'a missing file', args: () => ['import', path.join(files, 'nothing-here.csv'), '--table', 't'], message: /nothing-here\.csv/ },
    {
      name: 'append of a key that exists',
      args: () => ['import', writeFile(files, 'exists.csv', 'id,name,n\n1,z,0\n'), '--table', 't', '--mode', 'append'],
      message: /already in t/,
    },
  ];

  for (const testCase of cases) {
    it(`${testCase.name}: clear error, non-zero exit, nothing written`, () => {
      const before = repositorySnapshot(dir);
      const args = testCase.args();
      const result = dgit(dir, ...args);
      expect(result.code, result.stderr).toBe(testCase.code ?? 1);
      expect(result.stderr).toMatch(/^dgit: error: /);
      expect(result.stderr).toMatch(testCase.message);
      expect(repositorySnapshot(dir)).toBe(before);
      const tmp = path.join(dir, '.git', 'dgit', 'tmp');
      expect(fs.existsSync(tmp) ? fs.readdirSync(tmp) : []).toEqual([]);
    });
  }

  it('a non-dgit directory is refused', () => {
    const plain = tempDir();
    execFileSync('git', ['init', '-q', plain]);
    const result = dgit(plain, 'import', writeFile(files, 'ok2.csv', 'id\n1\n'), '--table', 'x');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/not a dgit repository/);
    expect(fs.existsSync(path.join(plain, '.git', 'dgit'))).toBe(false);
  });

  it('the repository still works after all that', () => {
    expect(JSON.parse(dgitOk(dir, 'tables', '--json')).tables[0].rows).toBe(3);
    execFileSync('git', ['fsck', '--strict', '--no-dangling'], { cwd: dir, stdio: 'pipe' });
  });
});
