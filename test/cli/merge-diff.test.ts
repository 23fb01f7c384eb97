import { beforeEach, describe, expect, it } from 'vitest';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { dgit, dgitOk, gitOut, repositorySnapshot, tempDir, writeFile } from '../support/cli.js';

function fsck(dir: string): void {
  execFileSync('git', ['fsck', '--strict', '--no-dangling'], { cwd: dir, stdio: 'pipe' });
}

function rows(dir: string, query = 'SELECT * FROM t ORDER BY id', rev?: string): unknown[] {
  return JSON.parse(dgitOk(dir, 'sql', query, '--json', ...(rev ? ['--rev', rev] : []))).rows;
}

/** A repository with t(id, name, score) on main and a branch `feature` from the same base. */
function setup(): { dir: string; work: string } {
  const work = tempDir();
  const dir = path.join(work, 'repo');
  dgitOk(work, 'init', 'repo');
  dgitOk(dir, 'import', writeFile(work, 'base.csv', 'id,name,score\n1,a,10\n2,b,20\n3,c,30\n4,d,40\n'), '--table', 't', '--key', 'id');
  dgitOk(dir, 'commit', '-m', 'base');
  dgitOk(dir, 'branch', 'feature');
  return { dir, work };
}

describe('dgit diff, show, status', () => {
  it('diff --json has the contract shape; --exit-code is 0 without and 1 with differences', () => {
    const { dir } = setup();
    expect(dgit(dir, 'diff', '--exit-code').code).toBe(0);
    dgitOk(dir, 'sql', "UPDATE t SET score = 21 WHERE id = 2");
    dgitOk(dir, 'sql', 'DELETE FROM t WHERE id = 4');
    dgitOk(dir, 'sql', "INSERT INTO t VALUES (9, 'z', 90)");
    expect(dgit(dir, 'diff', '--exit-code').code).toBe(1);
    const diff = JSON.parse(dgitOk(dir, 'diff', '--json'));
    expect(diff.from).toBe(gitOut(dir, 'rev-parse', 'HEAD').trim());
    expect(diff.to).toBe('WORKING');
    const table = diff.tables[0];
    expect(table).toMatchObject({ table: 't', status: 'modified', summary: { added: 1, deleted: 1, modified: 1 }, truncated: false });
    expect(table.schema).toEqual({ added: [], dropped: [], changed: [] });
    expect(table.rows).toEqual([
      { status: 'modified', key: { id: 2 }, before: { id: 2, name: 'b', score: 20 }, after: { id: 2, name: 'b', score: 21 }, changed: ['score'] },
      { status: 'deleted', key: { id: 4 }, before: { id: 4, name: 'd', score: 40 } },
      { status: 'added', key: { id: 9 }, after: { id: 9, name: 'z', score: 90 } },
    ]);
    const stat = JSON.parse(dgitOk(dir, 'diff', '--stat', '--json')).tables[0];
    expect(stat.rows).toBeUndefined();
    expect(stat.summary).toEqual({ added: 1, deleted: 1, modified: 1 });
    const status = JSON.parse(dgitOk(dir, 'status', '--json'));
    expect(status).toMatchObject({ branch: 'main', clean: false, merge: null, tables: [{ table: 't', status: 'modified', summary: { added: 1, deleted: 1, modified: 1 } }] });
    dgitOk(dir, 'commit', '-m', 'edits');
    const shown = JSON.parse(dgitOk(dir, 'show', '--json'));
    expect(shown.commit.message).toBe('edits');
    expect(shown.diff.tables[0].summary).toEqual({ added: 1, deleted: 1, modified: 1 });
    const range = JSON.parse(dgitOk(dir, 'diff', 'HEAD~1..HEAD', '--json'));
    expect(range.tables[0].rows).toHaveLength(3);
    const markdown = dgitOk(dir, 'diff', 'HEAD~1', 'HEAD', '--format', 'markdown');
    expect(markdown).toMatch(/\| *t *\|/);
    const html = dgitOk(dir, 'diff', 'HEAD~1', 'HEAD', '--format', 'html');
    expect(html).toMatch(/^<!DOCTYPE html>/i);
  });
});

describe('dgit merge', () => {
  let dir: string;
  let work: string;
  beforeEach(() => ({ dir, work } = setup()));

  it('fast-forwards when main has not moved', () => {
    dgitOk(dir, 'switch', 'feature');
    dgitOk(dir, 'sql', 'UPDATE t SET score = 0 WHERE id = 1');
    dgitOk(dir, 'commit', '-m', 'feature edit');
    dgitOk(dir, 'switch', 'main');
    expect(JSON.parse(dgitOk(dir, 'merge', 'feature', '--json'))).toEqual({ status: 'fast-forward', commit: gitOut(dir, 'rev-parse', 'feature').trim() });
    expect(gitOut(dir, 'status', '--porcelain')).toBe('');
    expect(JSON.parse(dgitOk(dir, 'merge', 'feature', '--json')).status).toBe('up-to-date');
    const unknown = dgit(dir, 'merge', 'nope');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('dgit: error: revision "nope" not found; branches and tags: feature, main\n');
  });

  it('merges disjoint edits cell by cell into a commit with two parents', () => {
    dgitOk(dir, 'switch', 'feature');
    dgitOk(dir, 'sql', "UPDATE t SET name = 'B' WHERE id = 2");
    dgitOk(dir, 'sql', "INSERT INTO t VALUES (5, 'e', 50)");
    dgitOk(dir, 'commit', '-m', 'feature');
    dgitOk(dir, 'switch', 'main');
    dgitOk(dir, 'sql', 'UPDATE t SET score = 22 WHERE id = 2');
    dgitOk(dir, 'sql', 'DELETE FROM t WHERE id = 1');
    dgitOk(dir, 'commit', '-m', 'main');
    const outcome = JSON.parse(dgitOk(dir, 'merge', 'feature', '--json'));
    expect(outcome.status).toBe('merged');
    expect(gitOut(dir, 'rev-list', '--parents', '-n', '1', 'HEAD').trim().split(' ')).toHaveLength(3);
    expect(rows(dir)).toEqual([
      { id: 2, name: 'B', score: 22 },
      { id: 3, name: 'c', score: 30 },
      { id: 4, name: 'd', score: 40 },
      { id: 5, name: 'e', score: 50 },
    ]);
    expect(gitOut(dir, 'status', '--porcelain')).toBe('');
    fsck(dir);
  });

  it('stores conflicts as data; resolve --file, --continue refuses while any remain, then commits', () => {
    dgitOk(dir, 'switch', 'feature');
    dgitOk(dir, 'sql', 'UPDATE t SET score = 21 WHERE id IN (2, 3)');
    dgitOk(dir, 'commit', '-m', 'feature');
    dgitOk(dir, 'switch', 'main');
    dgitOk(dir, 'sql', 'UPDATE t SET score = 22 WHERE id IN (2, 3)');
    dgitOk(dir, 'commit', '-m', 'main');
    const merged = dgit(dir, 'merge', 'feature', '--json');
    expect(merged.code).toBe(1);
    expect(JSON.parse(merged.stdout)).toEqual({ status: 'conflicts', conflicts: [{ table: 't', count: 2 }] });
    const conflicts = JSON.parse(dgitOk(dir, 'conflicts', '--json'));
    expect(conflicts.tables[0].conflicts[0]).toEqual({
      key: { id: 2 },
      kind: 'cell',
      base: { id: 2, name: 'b', score: 20 },
      ours: { id: 2, name: 'b', score: 22 },
      theirs: { id: 2, name: 'b', score: 21 },
      columns: ['score'],
    });
    expect(JSON.parse(dgitOk(dir, 'status', '--json')).merge).toMatchObject({ theirs: 'feature', conflicts: 2 });
    expect(dgit(dir, 'commit', '-m', 'sneaky').code).toBe(1);
    expect(dgit(dir, 'switch', 'feature').code).toBe(1);
    // a file resolving a key that is not in conflict is refused, nothing changes
    const before = repositorySnapshot(dir);
    const wrongKey = dgit(dir, 'resolve', 't', '--file', writeFile(work, 'wrong.csv', 'id,name,score\n4,d,44\n'));
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toMatch(/not in conflict/);
    const wrongSchema = dgit(dir, 'resolve', 't', '--file', writeFile(work, 'schema.csv', 'id,name,score,extra\n2,b,25,x\n'));
    expect(wrongSchema.code).toBe(1);
    expect(wrongSchema.stderr).toMatch(/extra/);
    // A file without a column would make it null in the resolved row, wiping a cell neither side changed.
    const partial = dgit(dir, 'resolve', 't', '--file', writeFile(work, 'partial.csv', 'id,score\n2,25\n'));
    expect(partial.code).toBe(1);
    expect(partial.stderr).toMatch(/partial\.csv lacks columns of the table: name; a resolution file gives whole rows/);
    expect(repositorySnapshot(dir)).toBe(before);
    expect(JSON.parse(dgitOk(dir, 'resolve', 't', '--file', writeFile(work, 'fix.csv', 'id,name,score\n2,b,25\n'), '--json'))).toEqual({ table: 't', resolved: 1, remaining: 1 });
    const refused = dgit(dir, 'merge', '--continue');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/1 conflict\(s\) remain/);
    dgitOk(dir, 'resolve', 't', '--theirs');
    expect(JSON.parse(dgitOk(dir, 'merge', '--continue', '--json')).status).toBe('merged');
    expect(rows(dir, 'SELECT id, score FROM t WHERE id IN (2, 3) ORDER BY id')).toEqual([
      { id: 2, score: 25 },
      { id: 3, score: 21 },
    ]);
    expect(JSON.parse(dgitOk(dir, 'status', '--json')).merge).toBeNull();
    fsck(dir);
  });

  it('--abort restores the exact pre-merge state', () => {
    dgitOk(dir, 'switch', 'feature');
    dgitOk(dir, 'sql', 'DELETE FROM t WHERE id = 2');
    dgitOk(dir, 'commit', '-m', 'feature deletes 2');
    dgitOk(dir, 'switch', 'main');
    dgitOk(dir, 'sql', 'UPDATE t SET score = 99 WHERE id = 2');
    dgitOk(dir, 'commit', '-m', 'main updates 2');
    const before = repositorySnapshot(dir);
    expect(dgit(dir, 'merge', 'feature').code).toBe(1);
    expect(JSON.parse(dgitOk(dir, 'conflicts', '--json')).tables[0].conflicts[0].kind).toBe('update-delete');
    dgitOk(dir, 'merge', '--abort');
    expect(repositorySnapshot(dir).split('\n').filter((l) => !l.startsWith('objects'))).toEqual(before.split('\n').filter((l) => !l.startsWith('objects')));
    expect(dgit(dir, 'merge', '--abort').code).toBe(1);
  });

  it('refuses with uncommitted changes, an unknown revision, or no merge to continue; nothing changes', () => {
    dgitOk(dir, 'sql', 'UPDATE t SET score = 1 WHERE id = 1');
    const before = repositorySnapshot(dir);
    const dirty = dgit(dir, 'merge', 'feature');
    expect(dirty.code).toBe(1);
    expect(dirty.stderr).toMatch(/uncommitted changes/);
    expect(dgit(dir, 'merge', '--continue').stderr).toMatch(/no merge is in progress/);
    expect(repositorySnapshot(dir)).toBe(before);
  });

  it('a column added on one side appears, with nulls on the other side’s new rows', () => {
    dgitOk(dir, 'switch', 'feature');
    dgitOk(dir, 'import', writeFile(work, 'note.csv', 'id,name,score,note\n1,a,10,hello\n'), '--table', 't', '--mode', 'upsert');
    dgitOk(dir, 'commit', '-m', 'feature adds note');
    dgitOk(dir, 'switch', 'main');
    dgitOk(dir, 'sql', "INSERT INTO t VALUES (6, 'f', 60)");
    dgitOk(dir, 'commit', '-m', 'main adds a row');
    expect(JSON.parse(dgitOk(dir, 'merge', 'feature', '--json')).status).toBe('merged');
    expect(rows(dir, 'SELECT id, note FROM t WHERE id IN (1, 2, 6) ORDER BY id')).toEqual([
      { id: 1, note: 'hello' },
      { id: 2, note: null },
      { id: 6, note: null },
    ]);
  });

  it('keyless tables merge as bags: both sides’ inserts kept', () => {
    dgitOk(dir, 'import', writeFile(work, 'bag.csv', 'x,y\n1,a\n1,a\n2,b\n'), '--table', 'bag');
    dgitOk(dir, 'commit', '-m', 'bag');
    dgitOk(dir, 'branch', 'bag-side');
    dgitOk(dir, 'import', writeFile(work, 'bag-main.csv', 'x,y\n1,a\n'), '--table', 'bag', '--mode', 'append');
    dgitOk(dir, 'commit', '-m', 'main adds a copy');
    dgitOk(dir, 'switch', 'bag-side');
    dgitOk(dir, 'import', writeFile(work, 'bag-side.csv', 'x,y\n3,c\n'), '--table', 'bag', '--mode', 'append');
    dgitOk(dir, 'import', writeFile(work, 'bag-del.csv', 'x,y\n2,b\n'), '--table', 'bag', '--mode', 'delete');
    dgitOk(dir, 'commit', '-m', 'side adds and deletes');
    dgitOk(dir, 'switch', 'main');
    expect(JSON.parse(dgitOk(dir, 'merge', 'bag-side', '--json')).status).toBe('merged');
    expect(rows(dir, 'SELECT x, y, count(*) AS n FROM bag GROUP BY ALL ORDER BY x')).toEqual([
      { x: 1, y: 'a', n: 3 },
      { x: 3, y: 'c', n: 1 },
    ]);
  });
});
