import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/cli.js';
import { dgitIn, dgitInOk } from '../cli/in-process.js';

beforeAll(() => {
  Object.assign(process.env, { GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@example.com' });
});

/**
 * Ours adds a NOT NULL column (a default fills its own rows); theirs adds a row,
 * which has no value in it. The merge used to die in the Parquet encoder with an
 * "(internal)" error and no merge in progress; it is a conflict now (DESIGN: a
 * null in a not-null column after a merge is reported, never committed), which
 * the usual resolutions settle.
 */
describe('a NOT NULL column added on one side, rows added on the other', () => {
  it('is a column-not-null conflict, resolved like any other', async () => {
    const dir = tempDir();
    await dgitInOk(dir, 'init');
    await dgitInOk(dir, 'sql', 'CREATE TABLE t (id BIGINT PRIMARY KEY, v BIGINT)');
    await dgitInOk(dir, 'sql', 'INSERT INTO t VALUES (1, 1), (2, 2)');
    await dgitInOk(dir, 'commit', '-m', 'base');
    await dgitInOk(dir, 'branch', 'th');
    await dgitInOk(dir, 'sql', 'ALTER TABLE t ADD COLUMN c BIGINT DEFAULT 0');
    await dgitInOk(dir, 'sql', 'ALTER TABLE t ALTER COLUMN c SET NOT NULL');
    await dgitInOk(dir, 'commit', '-m', 'c not null');
    await dgitInOk(dir, 'switch', 'th');
    await dgitInOk(dir, 'sql', 'INSERT INTO t VALUES (3, 3)');
    await dgitInOk(dir, 'commit', '-m', 'row 3');
    await dgitInOk(dir, 'switch', 'main');
    const merged = await dgitIn(dir, 'merge', 'th', '-m', 'm');
    expect(merged.code).toBe(1);
    expect(merged.stdout + merged.stderr).not.toContain('internal');
    const conflicts = JSON.parse(await dgitInOk(dir, 'conflicts', '--json')) as { tables: Array<{ table: string; conflicts: Array<{ reason: string; columns: string[] }> }> };
    expect(conflicts.tables[0]!.conflicts.map((c) => [c.reason, c.columns])).toEqual([['column-not-null', ['c']]]);
    await dgitInOk(dir, 'resolve', 't', '--ours');
    await dgitInOk(dir, 'merge', '--continue');
    expect(await dgitInOk(dir, 'sql', 'SELECT * FROM t ORDER BY id', '--format', 'csv')).toBe('id,v,c\n1,1,0\n2,2,0\n');
  });
});
