import { beforeAll, describe, expect, it } from 'vitest';
import { repositorySnapshot, tempDir, writeFile } from '../support/cli.js';
import { dgitIn, dgitInOk } from './in-process.js';

beforeAll(() => {
  Object.assign(process.env, { GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@example.com' });
});

/** A repository with tables airports and flights, two commits on main (v1) and the root tagged v0. */
async function twoCommits(): Promise<{ dir: string; files: string }> {
  const dir = tempDir();
  const files = tempDir();
  await dgitInOk(dir, 'init');
  await dgitInOk(dir, 'import', writeFile(files, 'a.csv', 'id,x\n1,a\n'), '--table', 'airports', '--key', 'id');
  await dgitInOk(dir, 'import', writeFile(files, 'f.csv', 'id,y\n1,2\n'), '--table', 'flights', '--key', 'id');
  await dgitInOk(dir, 'commit', '-m', 'v0');
  await dgitInOk(dir, 'tag', 'v0');
  await dgitInOk(dir, 'import', writeFile(files, 'a2.csv', 'id,x\n1,b\n'), '--table', 'airports');
  await dgitInOk(dir, 'commit', '-m', 'v1');
  return { dir, files };
}

describe('an unknown name is an error (exit 2) that lists what exists', () => {
  it('in every command that takes a table, a branch or a revision', async () => {
    const { dir, files } = await twoCommits();
    const tables = /table "airport" not found; tables: airports, flights/;
    const branches = /branch "mian" not found; branches: main/;
    const revisions = /revision "mian" not found; branches and tags: main, v0/;
    const cases: Array<[string[], RegExp]> = [
      [['diff', 'v0', 'main', '--table', 'airport', '--exit-code'], tables],
      [['diff', 'v0', 'main', '--table', 'airport', '--format', 'html'], tables],
      [['show', 'HEAD', '--table', 'airport'], tables],
      [['log', '--table', 'airport'], tables],
      [['export', 'airport', '-o', '-'], tables],
      [['sql', "UPDATE airport SET x = 'c'"], tables],
      [['sql', 'SELECT * FROM airport'], /table "airport" not found; tables: airports, flights \(working set\)$/m],
      [['sql', 'SELECT count(*) FROM flights JOIN "airport" USING (id)', '--rev', 'v0'], /table "airport" not found; tables: airports, flights \(v0\)$/m],
      [['sql', 'ALTER TABLE airport ADD COLUMN z INTEGER'], tables],
      [['files', 'airport'], tables],
      [['files', 'airport', '--format', 'duckdb'], tables],
      [['import', writeFile(files, 'k.csv', 'id\n1\n'), '--table', 'airport', '--mode', 'delete'], tables],
      [['switch', 'mian'], branches],
      [['branch', '-d', 'mian'], branches],
      [['queue', 'add', 'mian'], branches],
      [['diff', 'mian'], revisions],
      [['log', 'mian'], revisions],
      [['show', 'mian'], revisions],
      [['merge', 'mian'], revisions],
      [['tables', '--rev', 'mian'], revisions],
      [['check', 'mian'], revisions],
    ];
    await expectUsageErrors(dir, cases);
  });

  it('a revision past the root commit is no such revision, saying where history ends', async () => {
    const { dir } = await twoCommits();
    const root = '\\([0-9a-f]{12}\\) is the root commit';
    const cases: Array<[string[], RegExp]> = [
      [['show', 'HEAD~5'], new RegExp(`revision "HEAD~5" not found; HEAD~1 ${root}\n$`)],
      [['diff', 'HEAD~2..main'], new RegExp(`revision "HEAD~2" not found; HEAD~1 ${root}\n$`)],
      [['diff', 'v0~1..main', '--stat'], new RegExp(`revision "v0~1" not found; v0 ${root}\n$`)],
      [['log', 'main~1^'], new RegExp(`revision "main~1\\^" not found; main~1 ${root}\n$`)],
      [['tables', '--rev', 'v0^'], new RegExp(`revision "v0\\^" not found; v0 ${root}\n$`)],
      [['show', 'main^2'], /revision "main\^2" not found; main \([0-9a-f]{12}\) has one parent\n$/],
    ];
    await expectUsageErrors(dir, cases);
  });

  it('dgit sql keeps DuckDB errors other than an unknown table as they are (exit 1)', async () => {
    const dir = tempDir();
    await dgitInOk(dir, 'init');
    await dgitInOk(dir, 'import', writeFile(tempDir(), 'a.csv', 'id,x\n1,a\n'), '--table', 'airports', '--key', 'id');
    const before = repositorySnapshot(dir);
    const cases: Array<[string, RegExp]> = [
      ['SELECT nosuch FROM airports', /Referenced column "nosuch" not found/],
      ["SELECT * FROM read_parquetx('a.parquet')", /Table Function with name read_parquetx does not exist/],
    ];
    for (const [query, message] of cases) {
      const result = await dgitIn(dir, 'sql', query);
      expect({ query, code: result.code }).toEqual({ query, code: 1 });
      expect(result.stderr).toMatch(message);
      expect(result.stderr).not.toMatch(/tables: airports/);
    }
    expect(repositorySnapshot(dir)).toBe(before);
  });
});

/** Each command fails as a usage error (exit 2, nothing on stdout, the message on stderr) and leaves the repository as it was. */
async function expectUsageErrors(dir: string, cases: Array<[string[], RegExp]>): Promise<void> {
  const before = repositorySnapshot(dir);
  for (const [args, message] of cases) {
    const result = await dgitIn(dir, ...args);
    expect({ args, code: result.code, stdout: result.stdout }).toEqual({ args, code: 2, stdout: '' });
    expect(result.stderr, args.join(' ')).toMatch(/^dgit: error: /);
    expect(result.stderr, args.join(' ')).toMatch(message);
  }
  expect(repositorySnapshot(dir)).toBe(before);
}
