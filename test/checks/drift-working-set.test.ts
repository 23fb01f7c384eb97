import { beforeAll, describe, expect, it } from 'vitest';
import { runChecks } from '../../engine/checks/index.js';
import { Repository } from '../../engine/repository/repository.js';
import { tempDir, writeFile } from '../support/cli.js';
import { dgitIn, dgitInOk } from '../cli/in-process.js';

beforeAll(() => {
  Object.assign(process.env, { GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@example.com' });
});

/**
 * A working set without changes is its branch's commit: `dgit check` on it gives
 * the verdict `dgit check HEAD` gives. A commit that turned checked Date and Bool
 * columns into text holding "N/A" and "maybe" fails its schema checks either way
 * (it passed `dgit check` on the clean working set, which compared the column with
 * HEAD itself).
 */
describe('type drift on a clean working set', () => {
  it('fails as the commit does', async () => {
    const dir = tempDir();
    await dgitInOk(dir, 'init');
    await dgitInOk(dir, 'import', writeFile(dir, 'a.csv', 'id,d,b\n1,2020-01-01,true\n2,2020-01-02,false\n3,2020-01-03,true\n'), '--table', 't', '--key', 'id');
    writeFile(dir, 'dgit.yml', 'version: 1\ntables:\n  t:\n    checks:\n      - { kind: not_null, column: d }\n      - { kind: not_null, column: b }\n');
    await dgitInOk(dir, 'commit', '-m', 'typed');
    await dgitInOk(dir, 'sql', 'ALTER TABLE t ALTER COLUMN d TYPE VARCHAR');
    await dgitInOk(dir, 'sql', 'ALTER TABLE t ALTER COLUMN b TYPE VARCHAR');
    await dgitInOk(dir, 'sql', "UPDATE t SET d = 'N/A', b = 'maybe' WHERE id = 2");
    const repository = await Repository.open(dir);
    const verdicts = async (rev: string | undefined) => (await runChecks(repository, rev)).results.map((r) => [r.check, r.passed, r.blocked_by ?? null]);
    const expected = [
      ['t.d.schema', false, null],
      ['t.d.not_null', false, 't.d.schema'],
      ['t.b.schema', false, null],
      ['t.b.not_null', false, 't.b.schema'],
    ];
    // Uncommitted, against HEAD; then committed, as the working set and as HEAD.
    expect(await verdicts(undefined)).toEqual(expected);
    await dgitInOk(dir, 'commit', '-m', 'an outside writer made d and b text');
    expect(await verdicts(undefined)).toEqual(expected);
    expect(await verdicts('HEAD')).toEqual(expected);
    const cli = await dgitIn(dir, 'check');
    expect(cli.code).toBe(1);
    expect(cli.stdout).toMatch(/4 of 4 checks failed at [0-9a-f]{12}/);
  });

  it('a row count that fell past max_change fails as the commit does', async () => {
    const dir = tempDir();
    await dgitInOk(dir, 'init');
    await dgitInOk(dir, 'import', writeFile(dir, 'a.csv', `id\n${Array.from({ length: 10 }, (_, i) => i + 1).join('\n')}\n`), '--table', 't', '--key', 'id');
    writeFile(dir, 'dgit.yml', 'version: 1\ntables:\n  t:\n    checks:\n      - { kind: row_count, max_change: "10%" }\n');
    await dgitInOk(dir, 'commit', '-m', 'ten rows');
    await dgitInOk(dir, 'sql', 'DELETE FROM t WHERE id > 5');
    await dgitInOk(dir, 'commit', '-m', 'a partial load');
    const repository = await Repository.open(dir);
    const verdict = async (rev: string | undefined) => {
      const report = await runChecks(repository, rev);
      return [report.revision, report.results.map((r) => [r.check, r.passed, r.message])];
    };
    expect(await verdict(undefined)).toEqual(await verdict('HEAD'));
    expect((await runChecks(repository, undefined)).passed).toBe(false);
  });
});

/**
 * While a checked column has drifted to text, dgit.yml can still be edited and
 * committed (heal asks for `policy.tables.T.null_unconvertible`): the checks the
 * drift blocks are not validated against the text column, as `dgit check` does
 * not. Every other mistake in the file is still refused.
 */
describe('editing dgit.yml while a column has drifted', () => {
  it('saves the edit heal asks for, and still refuses a broken one', async () => {
    const dir = tempDir();
    await dgitInOk(dir, 'init');
    await dgitInOk(dir, 'import', writeFile(dir, 'w.csv', 'day,temp\n1,12.5\n2,10.6\n3,-3.5\n'), '--table', 'w', '--key', 'day');
    const config = (policy: string) => `version: 1\ntables:\n  w:\n    checks:\n      - { kind: range, column: temp, min: -30, max: 45 }\npolicy:\n  tables:\n    w: { columns: [temp], max_rows: 10${policy} }\n`;
    writeFile(dir, 'dgit.yml', config(''));
    await dgitInOk(dir, 'commit', '-m', 'typed');
    await dgitInOk(dir, 'sql', 'ALTER TABLE w ALTER COLUMN temp TYPE VARCHAR');
    await dgitInOk(dir, 'sql', "UPDATE w SET temp = 'N/A' WHERE day = 2");
    await dgitInOk(dir, 'commit', '-m', 'drifted load');
    writeFile(dir, 'dgit.yml', config(', null_unconvertible: true'));
    expect((await dgitIn(dir, 'status')).code).toBe(0);
    const check = await dgitIn(dir, 'check', '--json');
    expect(check.code).toBe(1);
    expect((JSON.parse(check.stdout) as { results: Array<{ check: string }> }).results.map((r) => r.check)).toEqual(['w.temp.schema', 'w.temp.range']);
    await dgitInOk(dir, 'commit', '-m', 'allow nulling');
    const healed = await dgitIn(dir, 'heal', '--json');
    expect(healed.stdout).toContain('coerce-type');
    // A mistake the drift does not explain is refused as ever, and nothing is staged.
    writeFile(dir, 'dgit.yml', config(', null_unconvertible: true').replace('column: temp,', 'column: tmep,'));
    const broken = await dgitIn(dir, 'status');
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain('column "tmep" does not exist in table w');
  });
});
