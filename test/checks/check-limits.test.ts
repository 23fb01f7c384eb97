import { beforeAll, describe, expect, it } from 'vitest';
import { runChecks } from '../../engine/checks/index.js';
import { parseConfig } from '../../engine/config/index.js';
import type { Repository } from '../../engine/repository/repository.js';
import { commitTables, newRepository, yaml } from './check-fixtures.js';

/**
 * Every check runs under a time cap and a memory cap (dgit.yml `check_limits`):
 * an sql check from a pull request must not hold the bot, the Action or `dgit check`
 * forever, nor take the machine's memory. Past a cap the check fails saying which
 * cap stopped it, and the other checks still run.
 */

let repository: Repository;

beforeAll(async () => {
  ({ repository } = await newRepository());
  await commitTables(repository, 'flights', { flights: { key: ['id'], rows: [{ id: 1, delay: 5 }, { id: 2, delay: null }] } });
});

function config(limits: string[], sql: string): string {
  return yaml('version: 1', ...limits, 'tables:', '  flights:', '    checks:', '      - kind: sql', `        sql: ${JSON.stringify(sql)}`, '      - { kind: not_null, column: delay }');
}

// Never ends: a recursive CTE with no stop condition counts forever.
const ENDLESS = 'WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) SELECT i AS id FROM r WHERE i < 0';

describe('check limits', () => {
  it('stops a never-ending sql check at the time cap; the check fails and says so, the others run', async () => {
    const report = await runChecks(repository, 'main', { config: config(['check_limits: { time: 1s }'], ENDLESS) });
    const [sql, notNull] = report.results;
    expect(sql).toMatchObject({ kind: 'sql', passed: false, failing_rows: 0 });
    expect(sql!.error).toBe('ran longer than 1s and was stopped (check_limits.time in dgit.yml)');
    expect(notNull).toMatchObject({ kind: 'not_null', passed: false, failing_rows: 1 });
    expect(report.passed).toBe(false);
  });

  it('stops a check that needs more memory than the cap', async () => {
    // One list of 20 million 100-character strings (about 2 GB) cannot fit in 32 MB.
    const hungry = "SELECT 1 AS id FROM (SELECT list(repeat('x', 100) || i) AS l FROM range(20000000) t(i)) WHERE len(l) < 0";
    const report = await runChecks(repository, 'main', { config: config(['check_limits: { time: 120s, memory: 32MB }'], hungry) });
    expect(report.results[0]!.error).toMatch(/^needed more memory than the cap of 32MB and was stopped \(check_limits.memory in dgit.yml\)/);
    expect(report.results[1]).toMatchObject({ kind: 'not_null', failing_rows: 1 });
  });

  it('defaults to 60s and 1GB; rejects a cap that is not a duration or a size', () => {
    const loaded = parseConfig(yaml('version: 1', 'tables: {}'));
    expect(loaded.config.check_limits).toBeUndefined();
    expect(() => parseConfig(yaml('version: 1', 'check_limits: { time: forever }'))).toThrow(/expected a duration/);
    expect(() => parseConfig(yaml('version: 1', 'check_limits: { memory: lots }'))).toThrow(/expected a size/);
  });
});
