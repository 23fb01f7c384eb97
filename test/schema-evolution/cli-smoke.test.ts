import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dgit, dgitOk, tempDir, writeFile } from '../support/cli.js';

describe('dgit sql DDL from the command line (smoke)', () => {
  it('says what changed, and status, diff and merge report it', () => {
    const work = tempDir();
    const dir = path.join(work, 'repo');
    dgitOk(work, 'init', 'repo');
    dgitOk(dir, 'import', writeFile(work, 't.csv', 'id,name,score\n1,a,10\n2,b,20\n'), '--table', 't', '--key', 'id');
    dgitOk(dir, 'commit', '-m', 'base');
    expect(dgitOk(dir, 'sql', 'ALTER TABLE t RENAME COLUMN score TO points')).toBe('t: altered (2 rows, schema only (no chunk rewritten); in the working set)\n');
    expect(dgitOk(dir, 'status')).toMatch(/points: renamed from score/);
    const diff = JSON.parse(dgitOk(dir, 'diff', '--json'));
    expect(diff.tables[0]).toMatchObject({ table: 't', schema: { changed: [{ name: 'points', renamed_from: 'score' }] }, summary: { added: 0, deleted: 0, modified: 0 } });
    // A merge with uncommitted changes names what works.
    const refused = dgit(dir, 'merge', 'main');
    expect(refused.stderr).toMatch(/reset --hard/);
    expect(refused.stderr).not.toMatch(/--discard/);
    const bad = dgit(dir, 'sql', 'ALTER TABLE t ALTER COLUMN name TYPE INTEGER');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^dgit: error: column "name" of t cannot change type Utf8 -> Int32 without loss: the row with id="1" holds "a"/);
  });
});
