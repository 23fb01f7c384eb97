import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runChecks, type CheckReport } from '../../engine/checks/index.js';
import type { Repository } from '../../engine/repository/repository.js';
import { tempDir } from '../support/cli.js';
import { commitTables, newRepository, yaml } from './check-fixtures.js';

/**
 * An sql check runs text from dgit.yml, which anyone who can open a pull request
 * can write. It reads the revision's tables and nothing else: no file, no other
 * database, no write, no second statement, no change of DuckDB's settings.
 */

let repository: Repository;
let outside: string;

beforeAll(async () => {
  ({ repository } = await newRepository());
  await commitTables(repository, 'flights', { flights: { key: ['id'], rows: [{ id: 1, delay: 5 }, { id: 2, delay: null }] } });
  outside = tempDir('dgit-outside-');
  fs.writeFileSync(path.join(outside, 'secret.csv'), 'token\nhunter2\n');
});

/** The report of one sql check next to a plain not_null check that must still run. */
async function runSql(sql: string): Promise<CheckReport> {
  const config = yaml(
    'version: 1',
    'tables:',
    '  flights:',
    '    checks:',
    `      - kind: sql`,
    `        sql: ${JSON.stringify(sql)}`,
    '      - { kind: not_null, column: delay }',
  );
  return runChecks(repository, 'main', { config });
}

function expectRefused(report: CheckReport, reason: RegExp): void {
  const [sql, notNull] = report.results;
  expect(sql).toMatchObject({ kind: 'sql', passed: false, failing_rows: 0, sample: [] });
  expect(sql!.error).toMatch(reason);
  expect(sql!.message).toBe(`could not run: ${sql!.error}`);
  expect(report.passed).toBe(false);
  // The other checks ran as usual.
  expect(notNull).toMatchObject({ kind: 'not_null', failing_rows: 1, sample: [{ key: { id: 2 }, value: null }] });
}

describe('an sql check cannot reach outside the revision', () => {
  it('cannot read a file', async () => {
    expectRefused(await runSql("SELECT * FROM read_csv('/etc/passwd')"), /^an sql check may read only the tables of the revision: Cannot access file "\/etc\/passwd"/);
    expectRefused(await runSql(`SELECT * FROM read_csv('${path.join(outside, 'secret.csv')}')`), /^an sql check may read only the tables of the revision: /);
    expectRefused(await runSql(`SELECT * FROM read_text('${path.join(outside, 'secret.csv')}')`), /^an sql check may read only the tables of the revision: /);
    expectRefused(await runSql(`SELECT * FROM glob('${outside}/*')`), /^an sql check may read only the tables of the revision: /);
  });

  it('cannot attach a database', async () => {
    expectRefused(await runSql(`ATTACH '${path.join(outside, 'other.duckdb')}' AS other`), /must be one SELECT query/);
    expect(fs.existsSync(path.join(outside, 'other.duckdb'))).toBe(false);
  });

  it('cannot write a file or change data', async () => {
    const target = path.join(outside, 'stolen.csv');
    expectRefused(await runSql(`COPY (SELECT * FROM flights) TO '${target}'`), /must be one SELECT query/);
    expectRefused(await runSql('INSERT INTO flights VALUES (3, 4)'), /must be one SELECT query/);
    expectRefused(await runSql('CREATE TABLE copy AS SELECT * FROM flights'), /must be one SELECT query/);
    expectRefused(await runSql(`SELECT * FROM query('COPY (SELECT 1) TO ''${target}''')`), /./);
    expect(fs.existsSync(target)).toBe(false);
  });

  it('cannot change settings, or run a second statement, or close our subquery to start one', async () => {
    expectRefused(await runSql('SET enable_external_access = true'), /must be one SELECT query/);
    expectRefused(await runSql('SELECT 1; DROP VIEW flights'), /must be one SELECT query/);
    expectRefused(await runSql('SELECT 1; SELECT 2'), /must be one SELECT query, not several statements/);
    expectRefused(await runSql(`SELECT 1) AS x; COPY flights TO '${path.join(outside, 'x.csv')}'; SELECT * FROM (SELECT 1`), /does not parse/);
    expect(fs.existsSync(path.join(outside, 'x.csv'))).toBe(false);
  });

  it('may read every table of the revision, with comments and a final semicolon', async () => {
    const report = await runSql('SELECT id FROM flights WHERE delay IS NULL; -- rows without a delay');
    expect(report.results[0]).toMatchObject({ passed: false, failing_rows: 1, sample: [{ key: { id: 2 }, value: { id: 2 } }], columns: ['id'] });
    expect(report.results[0]!.error).toBeUndefined();
  });
});
