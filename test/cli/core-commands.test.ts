import { beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { DATA, dgit, dgitOk, gitOut, tempDir, writeFile } from '../support/cli.js';

function fsck(dir: string): void {
  execFileSync('git', ['fsck', '--strict', '--no-dangling'], { cwd: dir, stdio: 'pipe' });
}

const CSV = 'id,name,score\n1,alpha,1.5\n2,beta,\n3,gamma,3.25\n';

describe('core commands', () => {
  let dir: string;
  let work: string;
  beforeAll(() => {
    work = tempDir();
    dir = path.join(work, 'repo');
  });

  it('init makes a git repository that git itself accepts', () => {
    const out = JSON.parse(dgitOk(work, 'init', 'repo', '--json'));
    expect(out).toMatchObject({ created: true, branch: 'main' });
    expect(gitOut(dir, 'symbolic-ref', 'HEAD').trim()).toBe('refs/heads/main');
    fsck(dir);
  });

  it('import, commit, log and tables, with git fsck clean after each', () => {
    const csv = writeFile(work, 'people.csv', CSV);
    const imported = JSON.parse(dgitOk(dir, 'import', csv, '--table', 'people', '--key', 'id', '--json'));
    expect(imported).toMatchObject({ table: 'people', created: true, rows: 3, inserted: 3 });
    fsck(dir);
    const committed = JSON.parse(dgitOk(dir, 'commit', '-m', 'first load', '--json'));
    expect(committed.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(gitOut(dir, 'rev-parse', 'main').trim()).toBe(committed.commit);
    expect(gitOut(dir, 'log', '--format=%s').trim()).toBe('first load');
    fsck(dir);
    const tables = JSON.parse(dgitOk(dir, 'tables', '--json'));
    expect(tables.tables).toEqual([
      {
        table: 'people',
        rows: 3,
        key: ['id'],
        chunks: 1,
        manifest: 'paged',
        columns: [
          { name: 'id', type: 'Int64', nullable: false },
          { name: 'name', type: 'Utf8', nullable: true },
          { name: 'score', type: 'Float64', nullable: true },
        ],
      },
    ]);
    const history = JSON.parse(dgitOk(dir, 'log', '--json'));
    expect(history.commits.map((c: { message: string }) => c.message)).toEqual(['first load']);
    // the commit's tree is the documented layout
    const files = gitOut(dir, 'ls-tree', '-r', '--name-only', 'HEAD').trim().split('\n');
    expect(files).toContain('tables/people/schema.json');
    expect(files).toContain('tables/people/manifest/root.json');
    expect(files.filter((f) => /^tables\/people\/manifest\/pages\/[0-9a-f]{2}\/[0-9a-f]{40}\.json$/.test(f))).toHaveLength(1);
    expect(files.filter((f) => /^tables\/people\/chunks\/[0-9a-f]{2}\/[0-9a-f]{40}\.parquet$/.test(f))).toHaveLength(1);
  });

  it('commit with nothing to commit fails and changes nothing', () => {
    const head = gitOut(dir, 'rev-parse', 'HEAD');
    const result = dgit(dir, 'commit', '-m', 'again');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^dgit: error: nothing to commit/);
    expect(gitOut(dir, 'rev-parse', 'HEAD')).toBe(head);
  });

  it('branch, switch, upsert, commit, tag, log --table, reset --hard', () => {
    dgitOk(dir, 'branch', 'edit');
    expect(JSON.parse(dgitOk(dir, 'branch', '--json')).branches.map((b: { name: string; current: boolean }) => [b.name, b.current])).toEqual([
      ['edit', false],
      ['main', true],
    ]);
    dgitOk(dir, 'switch', 'edit');
    const upsert = writeFile(work, 'upsert.csv', 'id,name,score\n2,beta,2.0\n4,delta,4.0\n');
    const result = JSON.parse(dgitOk(dir, 'import', upsert, '--table', 'people', '--mode', 'upsert', '--json'));
    expect(result).toMatchObject({ inserted: 1, updated: 1, rows: 4 });
    const refused = dgit(dir, 'switch', 'main');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/uncommitted changes/);
    dgitOk(dir, 'commit', '-m', 'fix beta, add delta');
    dgitOk(dir, 'tag', 'v1');
    expect(gitOut(dir, 'rev-parse', 'v1')).toBe(gitOut(dir, 'rev-parse', 'edit'));
    const other = writeFile(work, 'other.csv', 'k\n1\n');
    dgitOk(dir, 'import', other, '--table', 'other', '--key', 'k');
    dgitOk(dir, 'commit', '-m', 'other table');
    const onlyPeople = JSON.parse(dgitOk(dir, 'log', '--table', 'people', '--json')).commits.map((c: { message: string }) => c.message);
    expect(onlyPeople).toEqual(['fix beta, add delta', 'first load']);
    expect(JSON.parse(dgitOk(dir, 'log', '-n', '1', '--json')).commits).toHaveLength(1);
    dgitOk(dir, 'reset', '--hard', 'HEAD~1');
    expect(gitOut(dir, 'rev-parse', 'edit')).toBe(gitOut(dir, 'rev-parse', 'v1'));
    expect(JSON.parse(dgitOk(dir, 'tables', '--json')).tables.map((t: { table: string }) => t.table)).toEqual(['people']);
    dgitOk(dir, 'switch', 'main');
    // edit's commits are not in main: -d refuses, as git's does, and -D deletes, saying where it was.
    const unmerged = dgit(dir, 'branch', '-d', 'edit');
    expect(unmerged.code).toBe(2);
    expect(unmerged.stderr).toMatch(/branch edit is not fully merged into main; `dgit branch -D edit` deletes it anyway/);
    expect(gitOut(dir, 'branch', '--list', 'edit').trim()).toBe('edit');
    const edit = gitOut(dir, 'rev-parse', 'edit').trim();
    expect(dgitOk(dir, 'branch', '-D', 'edit')).toBe(`Deleted branch edit (was ${edit.slice(0, 12)})\n`);
    expect(gitOut(dir, 'branch', '--list', 'edit').trim()).toBe('');
    // A branch whose commits main holds is deleted by -d.
    dgitOk(dir, 'branch', 'merged');
    expect(JSON.parse(dgitOk(dir, 'branch', '-d', 'merged', '--json'))).toEqual({ deleted: 'merged', commit: gitOut(dir, 'rev-parse', 'main').trim() });
    fsck(dir);
  });

  it('switch -c creates and switches; -C runs elsewhere', () => {
    dgitOk(work, '-C', dir, 'switch', '-c', 'side', 'v1');
    expect(gitOut(dir, 'symbolic-ref', 'HEAD').trim()).toBe('refs/heads/side');
    expect(JSON.parse(dgitOk(work, '-C', 'repo', 'tables', '--json')).tables[0].rows).toBe(4);
    dgitOk(dir, 'switch', 'main');
    expect(JSON.parse(dgitOk(dir, 'tables', '--json')).tables[0].rows).toBe(3);
  });

  it('every command has --help with an example', () => {
    const help = dgitOk(dir, '--help');
    const commands = [...help.matchAll(/^\s{2}([a-z-]+)(?=[\s[<])/gm)].map((m) => m[1]!).filter((c) => c !== 'help');
    expect(commands.length).toBeGreaterThan(8);
    for (const command of commands) {
      const text = dgitOk(dir, command, '--help');
      expect(text, command).toMatch(/Example/);
    }
  });

  it('usage errors exit 2, failures exit 1, both as "dgit: error: what (where)"', () => {
    const unknown = dgit(dir, 'import');
    expect(unknown.code).toBe(2);
    const badRev = dgit(dir, 'log', 'no-such-branch');
    expect(badRev.code).toBe(2);
    expect(badRev.stderr).toMatch(/^dgit: error: revision "no-such-branch" not found; branches and tags: (\S+, )*main(, \S+)*\n$/);
    const notRepo = dgit(tempDir(), 'tables');
    expect(notRepo.code).toBe(1);
    expect(notRepo.stderr).toMatch(/^dgit: error: not a dgit repository/);
  });

  it('a real data file imports: airports keyed by iata', () => {
    const airports = JSON.parse(dgitOk(dir, 'import', path.join(DATA, 'airports.csv'), '--table', 'airports', '--key', 'iata', '--json'));
    expect(airports.rows).toBe(3376);
    dgitOk(dir, 'commit', '-m', 'airports');
    fsck(dir);
    expect(fs.existsSync(path.join(dir, 'tables', 'airports', 'schema.json'))).toBe(true);
    expect(gitOut(dir, 'status', '--porcelain')).toBe('');
  });
});

describe('dgit.yml edited in the working directory', () => {
  it('is staged by status, checked by check, committed by commit; an invalid one is refused', () => {
    const work = tempDir();
    const dir = path.join(work, 'repo');
    dgitOk(work, 'init', 'repo');
    dgitOk(dir, 'import', writeFile(work, 't.csv', 'id,n\n1,5\n2,50\n'), '--table', 't', '--key', 'id');
    dgitOk(dir, 'commit', '-m', 'data');
    writeFile(dir, 'dgit.yml', 'version: 1\ntables:\n  t:\n    checks:\n      - { kind: range, column: n, max: 10 }\n');
    const failing = dgit(dir, 'check', '--json');
    expect(failing.code).toBe(1);
    expect(JSON.parse(failing.stdout).results[0]).toMatchObject({ check: 't.n.range', passed: false, failing_rows: 1 });
    dgitOk(dir, 'commit', '-m', 'add a check');
    expect(gitOut(dir, 'show', 'HEAD:dgit.yml')).toMatch(/kind: range/);
    expect(gitOut(dir, 'status', '--porcelain')).toBe('');
    writeFile(dir, 'dgit.yml', 'version: 1\ntables:\n  t:\n    checks:\n      - { kind: range, column: nope, max: 10 }\n');
    const invalid = dgit(dir, 'commit', '-m', 'bad check');
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/dgit\.yml:5: .*column "nope" does not exist/);
  });
});
