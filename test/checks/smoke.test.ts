import { it, expect } from 'vitest';
import { newRepository, commitTables, yaml } from './check-fixtures.js';
import { runChecks } from '../../engine/checks/index.js';
it('smoke', async () => {
  const { repository } = await newRepository();
  await commitTables(repository, 'one', {
    flights: { key: ['id'], rows: [
      { id: 1, origin: 'JFK', delay: 5, carrier: 'AA', at: '2024-01-01 10:00:00', day: '2024-01-01' },
      { id: 2, origin: 'LAX', delay: null, carrier: 'aa', at: '2024-01-02 10:00:00.123456', day: '2024-01-02' },
      { id: 3, origin: 'XXX', delay: 500, carrier: 'ZZ', at: null, day: null },
    ], format: 'csv' },
    airports: { key: ['code'], rows: [{ code: 'JFK' }, { code: 'LAX' }] },
  }, yaml(
    'version: 1',
    'tables:',
    '  flights:',
    '    checks:',
    '      - { kind: not_null, column: delay }',
    '      - { kind: range, column: delay, min: 0, max: 100 }',
    '      - { kind: accepted_values, column: carrier, values: [AA, UA] }',
    '      - { kind: pattern, column: origin, pattern: "^[A-Z]{3}$" }',
    '      - { kind: unique, column: carrier }',
    '      - { kind: foreign_key, column: origin, references: { table: airports, column: code } }',
    '      - { kind: freshness, column: at, max_age: 36h }',
    '      - { kind: row_count, min: 1, max_change: "10%" }',
    '      - { kind: sql, sql: "SELECT id, at, day FROM flights WHERE delay > 100" }',
    '      - { kind: range, column: day, min: "2024-01-02", name: late_day }',
  ));
  const report = await runChecks(repository, 'main', { now: new Date('2024-01-03T00:00:00Z') });
  console.log(JSON.stringify(report, null, 1));
  const tables = await repository.readTable((await repository.revision('main')).tree, 'flights');
  console.log(JSON.stringify(tables!.schema.columns));
  expect(report.results.length).toBe(10);
});
