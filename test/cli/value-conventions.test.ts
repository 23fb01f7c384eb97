import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir, writeFile } from '../support/cli.js';
import { dgitInOk } from './in-process.js';

beforeAll(() => {
  Object.assign(process.env, { GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@example.com' });
});

describe('one spelling of timestamps and NULL in sql, diff, export and the renderers', () => {
  it('a naive timestamp never gains a Z, keeps its unit, and NULL is NULL for people and empty in CSV', async () => {
    const dir = tempDir();
    await dgitInOk(dir, 'init');
    await dgitInOk(dir, 'import', writeFile(tempDir(), 'a.csv', 'id,seen,day,n\n1,2001-01-01 00:47:00,2001-01-02,\n2,2001-01-01 00:47:00.5,2001-01-03,5\n'), '--table', 't', '--key', 'id');
    await dgitInOk(dir, 'commit', '-m', 'v0');
    const naive = '2001-01-01T00:47:00.000000';

    const table = await dgitInOk(dir, 'sql', 'SELECT seen, day, n FROM t ORDER BY id');
    expect(table.split('\n').slice(2, 4)).toEqual([`${naive}  2001-01-02  NULL`, '2001-01-01T00:47:00.500000  2001-01-03  5']);
    expect(await dgitInOk(dir, 'sql', "SELECT seen, seen::TIMESTAMPTZ AS utc, day, n FROM t WHERE id = 1", '--format', 'csv')).toBe(`seen,utc,day,n\n${naive},${naive}Z,2001-01-02,\n`);
    expect(JSON.parse(await dgitInOk(dir, 'sql', 'SELECT seen, n FROM t WHERE id = 1', '--json'))).toMatchObject({ rows: [{ seen: naive, n: null }] });
    expect(await dgitInOk(dir, 'export', 't', '--format', 'csv', '-o', '-')).toBe(`id,seen,day,n\n1,${naive},2001-01-02,\n2,2001-01-01T00:47:00.500000,2001-01-03,5\n`);

    await dgitInOk(dir, 'sql', "UPDATE t SET n = 7, seen = seen + INTERVAL 1 HOUR WHERE id = 1");
    const terminal = await dgitInOk(dir, 'diff');
    expect(terminal).toContain(`${naive} → 2001-01-01T01:47:00.000000`);
    expect(terminal).toContain('NULL → 7');
    const json = JSON.parse(await dgitInOk(dir, 'diff', '--json')) as { tables: Array<{ rows: Array<{ before: Record<string, unknown> }> }> };
    expect(json.tables[0]!.rows[0]!.before).toMatchObject({ seen: naive, n: null });
    const markdown = await dgitInOk(dir, 'diff', '--format', 'markdown');
    expect(markdown).toContain(naive);
    expect(markdown).not.toMatch(/00:47:00(\.0+)?Z/);
    expect(await dgitInOk(dir, 'diff', '--format', 'html')).toContain(naive);
  });
});
