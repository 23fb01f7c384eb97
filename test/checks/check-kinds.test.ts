import { beforeAll, describe, expect, it } from 'vitest';
import { runChecks, type CheckResult } from '../../engine/checks/index.js';
import { runSql } from '../../engine/commands/sql.js';
import { ConfigError } from '../../engine/config/index.js';
import type { Repository } from '../../engine/repository/repository.js';
import { commitTables, load, newRepository, yaml } from './check-fixtures.js';

/**
 * Every check kind: pass, fail, nulls, an empty table, and a bad configuration.
 * One repository with two commits; each test runs its own dgit.yml against main
 * (through `config`), so no test depends on another's file.
 */

let repository: Repository;
const NOW = new Date('2024-01-04T00:00:00Z');

const FLIGHTS = [
  { id: 1, origin: 'JFK', dest: 'LAX', delay: 5, carrier: 'AA', gate: 'A1', at: '2024-01-01 10:00:00', day: '2024-01-01' },
  { id: 2, origin: 'LAX', dest: 'JFK', delay: null, carrier: 'UA', gate: null, at: '2024-01-02 10:00:00', day: '2024-01-02' },
  { id: 3, origin: 'JFK', dest: 'SFO', delay: 500, carrier: 'aa', gate: null, at: null, day: null },
  { id: 4, origin: 'SFO', dest: null, delay: -3, carrier: null, gate: 'B2', at: '2024-01-03 08:00:00', day: '2024-01-03' },
  { id: 5, origin: 'XXX', dest: 'JFK', delay: 12, carrier: 'DL', gate: 'C3', at: '2024-01-03 09:00:00', day: '2024-01-03' },
];
const SIXTH = { id: 6, origin: 'JFK', dest: 'LAX', delay: 7, carrier: 'AA', gate: 'D4', at: '2024-01-03 09:30:00', day: '2024-01-03' };

beforeAll(async () => {
  ({ repository } = await newRepository());
  // Float32 and Float64 columns holding NaN, which DuckDB orders above every number.
  await runSql(repository, 'CREATE TABLE readings (id BIGINT PRIMARY KEY, f32 FLOAT, f64 DOUBLE)');
  await runSql(repository, "INSERT INTO readings VALUES (1, 0.5, 0.5), (2, 'NaN', 'NaN'), (3, 20, 20), (4, NULL, NULL), (5, '-inf', '-inf')");
  await commitTables(repository, 'five flights', {
    flights: { key: ['id'], format: 'csv', rows: FLIGHTS },
    airports: { key: ['code'], rows: [{ code: 'JFK' }, { code: 'LAX' }, { code: 'SFO' }] },
    routes: { key: ['origin', 'dest'], rows: [{ origin: 'JFK', dest: 'LAX' }, { origin: 'LAX', dest: 'JFK' }, { origin: 'JFK', dest: 'SFO' }] },
    bag: { rows: [{ word: 'a', n: 1 }, { word: 'a', n: 1 }, { word: 'b', n: null }] },
    empty_flights: { key: ['id'], format: 'csv', rows: FLIGHTS },
  });
  await load(repository, { empty_flights: { mode: 'delete', rows: FLIGHTS.map((f) => ({ id: f.id })) } });
  await commitTables(repository, 'a sixth flight, no more empty flights', { flights: { mode: 'append', format: 'csv', rows: [SIXTH] } });
});

/** The results of checks written as YAML flow mappings under `table`, run on main. */
async function check(table: string, ...checks: string[]): Promise<CheckResult[]> {
  const report = await runChecks(repository, 'main', { config: yaml('version: 1', 'tables:', `  ${table}:`, '    checks:', ...checks.map((c) => `      - ${c}`)), now: NOW });
  return report.results;
}

async function one(table: string, definition: string): Promise<CheckResult> {
  const [result] = await check(table, definition);
  return result!;
}

/** The ConfigError message of a check written under `table`. */
async function badConfig(table: string, definition: string): Promise<string> {
  const error = await check(table, definition).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return (error as ConfigError).message;
}

describe('not_null', () => {
  it('passes when every row has a value', async () => {
    expect(await one('flights', '{ kind: not_null, column: origin }')).toMatchObject({ passed: true, failing_rows: 0, sample: [], column: 'origin' });
  });
  it('fails with the key of each row with a null', async () => {
    expect(await one('flights', '{ kind: not_null, column: delay }')).toMatchObject({
      check: 'flights.delay.not_null',
      passed: false,
      failing_rows: 1,
      sample: [{ key: { id: 2 }, value: null }],
      message: '1 row with no delay',
    });
  });
  it('counts every null, and a keyless table gives the whole row as the key', async () => {
    expect(await one('flights', '{ kind: not_null, column: gate }')).toMatchObject({ failing_rows: 2, sample: [{ key: { id: 2 } }, { key: { id: 3 } }] });
    expect(await one('bag', '{ kind: not_null, column: n }')).toMatchObject({ failing_rows: 1, sample: [{ key: { word: 'b', n: null }, value: null }] });
  });
  it('passes on an empty table', async () => {
    expect(await one('empty_flights', '{ kind: not_null, column: delay }')).toMatchObject({ passed: true, failing_rows: 0, chunks: { checked: 0, total: 0 } });
  });
  it('refuses a column that does not exist', async () => {
    expect(await badConfig('flights', '{ kind: not_null, column: delays }')).toBe(
      'dgit.yml:5: tables.flights.checks[0].column: column "delays" does not exist in table flights (did you mean "delay"?)',
    );
  });
});

describe('unique', () => {
  it('passes on the key and on distinct values', async () => {
    expect((await check('flights', '{ kind: unique, column: id }', '{ kind: unique, columns: [origin, delay] }')).map((r) => r.passed)).toEqual([true, true]);
  });
  it('fails with every row of each duplicated value, grouped by value', async () => {
    expect(await one('flights', '{ kind: unique, column: carrier }')).toMatchObject({
      passed: false,
      failing_rows: 2,
      sample: [
        { key: { id: 1 }, value: 'AA' },
        { key: { id: 6 }, value: 'AA' },
      ],
      message: '2 rows share 1 duplicated value of carrier',
    });
  });
  it('checks several columns together, the value an object of them', async () => {
    expect(await one('flights', '{ kind: unique, columns: [origin, dest] }')).toMatchObject({
      check: 'flights.origin+dest.unique',
      column: null,
      columns: ['origin', 'dest'],
      failing_rows: 2,
      sample: [
        { key: { id: 1 }, value: { origin: 'JFK', dest: 'LAX' } },
        { key: { id: 6 }, value: { origin: 'JFK', dest: 'LAX' } },
      ],
    });
  });
  it('does not compare nulls: two rows without a gate are not duplicates', async () => {
    expect(await one('flights', '{ kind: unique, column: gate }')).toMatchObject({ passed: true, failing_rows: 0 });
  });
  it('finds duplicate rows of a keyless table', async () => {
    expect(await one('bag', '{ kind: unique, column: word }')).toMatchObject({
      failing_rows: 2,
      sample: [
        { key: { word: 'a', n: 1 }, value: 'a' },
        { key: { word: 'a', n: 1 }, value: 'a' },
      ],
    });
  });
  it('passes on an empty table', async () => {
    expect(await one('empty_flights', '{ kind: unique, column: carrier }')).toMatchObject({ passed: true });
  });
  it('needs column or columns, each existing', async () => {
    expect(await badConfig('flights', '{ kind: unique }')).toBe('dgit.yml:5: tables.flights.checks[0]: needs "column" (one column) or "columns" (a list)');
    expect(await badConfig('flights', '{ kind: unique, columns: [origin, gat] }')).toBe(
      'dgit.yml:5: tables.flights.checks[0].columns[1]: column "gat" does not exist in table flights (did you mean "gate"?)',
    );
  });
});

describe('accepted_values', () => {
  it('passes when every value is accepted, ignoring case when asked', async () => {
    expect(await one('flights', '{ kind: accepted_values, column: carrier, values: [AA, UA, DL], case_sensitive: false }')).toMatchObject({ passed: true });
  });
  it('fails on values outside the list, case-sensitively by default', async () => {
    expect(await one('flights', '{ kind: accepted_values, column: carrier, values: [AA, UA, DL] }')).toMatchObject({
      passed: false,
      failing_rows: 1,
      sample: [{ key: { id: 3 }, value: 'aa' }],
    });
  });
  it('numbers as accepted values of a number column', async () => {
    expect(await one('flights', '{ kind: accepted_values, column: delay, values: [5, 500, -3, 12, 7] }')).toMatchObject({ passed: true });
  });
  it('a null is not a value: it passes (not_null is the check for that)', async () => {
    // carrier of flight 4 is null; gate of flights 2 and 3 too
    expect(await one('flights', '{ kind: accepted_values, column: gate, values: [A1, B2, C3, D4] }')).toMatchObject({ passed: true, failing_rows: 0 });
  });
  it('passes on an empty table', async () => {
    expect(await one('empty_flights', '{ kind: accepted_values, column: carrier, values: [AA] }')).toMatchObject({ passed: true });
  });
  it('needs at least one value', async () => {
    expect(await badConfig('flights', '{ kind: accepted_values, column: carrier, values: [] }')).toBe('dgit.yml:5: tables.flights.checks[0].values: needs at least 1 item');
  });
});

describe('range', () => {
  it('passes inside inclusive bounds', async () => {
    expect(await one('flights', '{ kind: range, column: delay, min: -3, max: 500 }')).toMatchObject({ passed: true, message: 'every delay is in [-3, 500]' });
  });
  it('fails outside, with exclusive bounds when asked', async () => {
    expect(await one('flights', '{ kind: range, column: delay, min: 0, max: 100 }')).toMatchObject({
      failing_rows: 2,
      sample: [
        { key: { id: 3 }, value: 500 },
        { key: { id: 4 }, value: -3 },
      ],
      message: '2 rows whose delay is not in [0, 100]',
    });
    expect(await one('flights', '{ kind: range, column: delay, min: 5, min_inclusive: false }')).toMatchObject({ failing_rows: 2, message: '2 rows whose delay is not > 5' });
  });
  it('compares dates written as text, and a bound between integers', async () => {
    expect(await one('flights', '{ kind: range, column: day, min: "2024-01-02" }')).toMatchObject({ failing_rows: 1, sample: [{ key: { id: 1 }, value: '2024-01-01' }] });
    expect(await one('flights', '{ kind: range, column: delay, max: 6.5 }')).toMatchObject({ failing_rows: 3 });
  });
  it('ignores nulls', async () => {
    // delay of flight 2 and day of flight 3 are null
    expect(await one('flights', '{ kind: range, column: day, max: "2024-12-31" }')).toMatchObject({ passed: true });
  });
  it('passes on an empty table', async () => {
    expect(await one('empty_flights', '{ kind: range, column: delay, min: 0, max: 1 }')).toMatchObject({ passed: true });
  });
  describe.each(['f32', 'f64'])('NaN is in no range (%s)', (column) => {
    it('fails a minimum alone, though DuckDB orders NaN above it', async () => {
      expect(await one('readings', `{ kind: range, column: ${column}, min: 0 }`)).toMatchObject({
        passed: false,
        failing_rows: 2,
        sample: [
          { key: { id: 2 }, value: 'NaN' },
          { key: { id: 5 }, value: '-Infinity' },
        ],
        message: `2 rows whose ${column} is not >= 0`,
      });
      expect(await one('readings', `{ kind: range, column: ${column}, min: "-inf", min_inclusive: false }`)).toMatchObject({ failing_rows: 2, sample: [{ key: { id: 2 } }, { key: { id: 5 } }] });
    });
    it('fails a maximum alone, even an infinite one', async () => {
      expect(await one('readings', `{ kind: range, column: ${column}, max: 10 }`)).toMatchObject({
        failing_rows: 2,
        sample: [
          { key: { id: 2 }, value: 'NaN' },
          { key: { id: 3 }, value: 20 },
        ],
      });
      expect(await one('readings', `{ kind: range, column: ${column}, max: "inf" }`)).toMatchObject({ failing_rows: 1, sample: [{ key: { id: 2 }, value: 'NaN' }] });
    });
    it('fails both bounds, and the null still passes', async () => {
      expect(await one('readings', `{ kind: range, column: ${column}, min: 0, max: 10 }`)).toMatchObject({
        failing_rows: 3,
        sample: [{ key: { id: 2 }, value: 'NaN' }, { key: { id: 3 } }, { key: { id: 5 } }],
      });
    });
  });
  it('needs a bound that fits the column', async () => {
    expect(await badConfig('flights', '{ kind: range, column: delay }')).toBe('dgit.yml:5: tables.flights.checks[0]: a range check needs "min", "max" or both');
    expect(await badConfig('flights', '{ kind: range, column: at, max: tomorrow }')).toBe('dgit.yml:5: tables.flights.checks[0].max: "tomorrow" is not a valid Timestamp<us> value');
  });
});

describe('pattern', () => {
  it('passes when every value matches, anchored by the pattern itself', async () => {
    expect(await one('flights', '{ kind: pattern, column: origin, pattern: "^[A-Z]{3}$" }')).toMatchObject({ passed: true });
    expect(await one('flights', '{ kind: pattern, column: origin, pattern: "^[a-z]+$", case_sensitive: false }')).toMatchObject({ passed: true });
  });
  it('fails on values that do not match', async () => {
    expect(await one('flights', '{ kind: pattern, column: origin, pattern: "^(JFK|LAX|SFO)$" }')).toMatchObject({ failing_rows: 1, sample: [{ key: { id: 5 }, value: 'XXX' }] });
  });
  it('finds the pattern anywhere in the value unless anchored', async () => {
    expect(await one('flights', '{ kind: pattern, column: carrier, pattern: "A" }')).toMatchObject({ failing_rows: 2 });
  });
  it('ignores nulls', async () => {
    expect(await one('flights', '{ kind: pattern, column: gate, pattern: "^[A-D][0-9]$" }')).toMatchObject({ passed: true });
  });
  it('passes on an empty table', async () => {
    expect(await one('empty_flights', '{ kind: pattern, column: origin, pattern: "^$" }')).toMatchObject({ passed: true });
  });
  it('refuses a regular expression that does not compile', async () => {
    expect(await badConfig('flights', '{ kind: pattern, column: origin, pattern: "(" }')).toMatch(
      /^dgit\.yml:5: tables\.flights\.checks\[0\]\.pattern: invalid regular expression: missing \)/,
    );
  });
});

describe('row_count', () => {
  it('passes within bounds and within the change since the parent', async () => {
    expect(await one('flights', '{ kind: row_count, min: 1, max: 10, max_change: "25%" }')).toMatchObject({
      passed: true,
      column: null,
      observed: { rows: 6, parent_rows: 5, change: 1, change_percent: 20, missed_by: 0 },
      message: '6 rows, +20% since the parent',
    });
  });
  it('fails outside the bounds or past the change allowed, in rows or percent', async () => {
    expect(await one('flights', '{ kind: row_count, max: 5 }')).toMatchObject({ passed: false, failing_rows: 0, message: '6 rows, more than the 5 allowed', observed: { missed_by: 1 } });
    expect(await one('flights', '{ kind: row_count, min: 9 }')).toMatchObject({ passed: false, observed: { missed_by: 3 } });
    expect(await one('flights', '{ kind: row_count, max_change: "10%" }')).toMatchObject({
      passed: false,
      message: 'rows changed by +20% since the parent (5 → 6), more than the 10% allowed',
      // 10% of 5 rows allows half a row: the count misses by the half row left, counted whole.
      observed: { missed_by: 1 },
    });
    expect(await one('flights', '{ kind: row_count, max_change: 0 }')).toMatchObject({ passed: false });
  });
  it('has no change to bound without a parent', async () => {
    const report = await runChecks(repository, 'main~1', { config: yaml('version: 1', 'tables:', '  flights:', '    checks:', '      - { kind: row_count, max_change: 0 }') });
    expect(report.results[0]).toMatchObject({ passed: true, observed: { rows: 5, parent_rows: null }, message: '5 rows, no parent table to compare with' });
  });
  it('counts rows whatever nulls they hold', async () => {
    expect(await one('bag', '{ kind: row_count, min: 3, max: 3 }')).toMatchObject({ passed: true });
  });
  it('an empty table fails a minimum', async () => {
    expect(await one('empty_flights', '{ kind: row_count, min: 1 }')).toMatchObject({ passed: false, message: '0 rows, fewer than the 1 required' });
    // the parent held 5 rows: a change of -100%
    expect(await one('empty_flights', '{ kind: row_count, max_change: "50%" }')).toMatchObject({ passed: false, observed: { change_percent: -100 } });
  });
  it('refuses a change bound that is neither rows nor a percentage', async () => {
    expect(await badConfig('flights', '{ kind: row_count, max_change: ten percent }')).toBe(
      'dgit.yml:5: tables.flights.checks[0].max_change: expected a number of rows or a percentage like "10%", got "ten percent"',
    );
  });
});

describe('foreign_key', () => {
  it('passes when every value is in the referenced table', async () => {
    expect(await one('flights', '{ kind: foreign_key, column: dest, references: { table: airports, column: code } }')).toMatchObject({ passed: true });
  });
  it('fails with the orphans, also for several columns', async () => {
    expect(await one('flights', '{ kind: foreign_key, column: origin, references: { table: airports, column: code } }')).toMatchObject({
      failing_rows: 1,
      sample: [{ key: { id: 5 }, value: 'XXX' }],
      message: '1 row whose origin is not found in airports.code',
    });
    expect(await one('flights', '{ kind: foreign_key, columns: [origin, dest], references: { table: routes, columns: [origin, dest] } }')).toMatchObject({
      failing_rows: 1,
      sample: [{ key: { id: 5 }, value: { origin: 'XXX', dest: 'JFK' } }],
    });
  });
  it('does not check a row with a null in the key (dest of flight 4)', async () => {
    const result = await one('flights', '{ kind: foreign_key, columns: [origin, dest], references: { table: routes, columns: [origin, dest] } }');
    expect(result.sample.map((s) => s.key)).not.toContainEqual({ id: 4 });
  });
  it('an empty table refers to nothing; rows referring to an empty table are all orphans', async () => {
    expect(await one('empty_flights', '{ kind: foreign_key, column: origin, references: { table: airports, column: code } }')).toMatchObject({ passed: true });
    expect(await one('airports', '{ kind: foreign_key, column: code, references: { table: empty_flights, column: origin } }')).toMatchObject({ failing_rows: 3 });
  });
  it('refuses a missing table', async () => {
    expect(await badConfig('flights', '{ kind: foreign_key, column: origin, references: { table: airprots, column: code } }')).toBe(
      'dgit.yml:5: tables.flights.checks[0].references.table: table "airprots" does not exist at ' + (await repository.resolve('main')).slice(0, 12) + ' (did you mean "airports"?)',
    );
  });
});

describe('freshness', () => {
  it('passes when the newest value is recent enough', async () => {
    expect(await one('flights', '{ kind: freshness, column: at, max_age: 1d }')).toMatchObject({
      passed: true,
      observed: { newest: '2024-01-03T09:30:00.000000Z', age_seconds: 14.5 * 3600, max_age_seconds: 86_400 },
    });
  });
  it('fails when it is older than max_age', async () => {
    expect(await one('flights', '{ kind: freshness, column: at, max_age: 12h }')).toMatchObject({
      passed: false,
      failing_rows: 0,
      message: 'newest at is 2024-01-03T09:30:00.000000Z, 14h 30m old, more than the 12h allowed',
    });
  });
  it('judges dates from their midnight, and ignores nulls', async () => {
    expect(await one('flights', '{ kind: freshness, column: day, max_age: 1d }')).toMatchObject({ passed: true, observed: { age_seconds: 86_400 } });
  });
  it('an empty table is not fresh', async () => {
    expect(await one('empty_flights', '{ kind: freshness, column: at, max_age: 365d }')).toMatchObject({ passed: false, message: 'at has no value, so the data is not fresh' });
  });
  it('needs a date or timestamp column and a duration', async () => {
    expect(await badConfig('flights', '{ kind: freshness, column: gate, max_age: 1d }')).toBe(
      'dgit.yml:5: tables.flights.checks[0].column: a freshness check needs a date or timestamp column; gate is Utf8',
    );
    expect(await badConfig('flights', '{ kind: freshness, column: at, max_age: 1 day }')).toBe(
      'dgit.yml:5: tables.flights.checks[0].max_age: expected a duration like "90m", "36h", "7d" or "1d12h", got "1 day"',
    );
  });
});

describe('sql', () => {
  it('passes when the query returns no rows', async () => {
    expect(await one('flights', '{ kind: sql, sql: "SELECT * FROM flights WHERE delay > 1000" }')).toMatchObject({ passed: true, failing_rows: 0 });
  });
  it('fails with every returned row counted, the table key when returned, and the columns', async () => {
    expect(await one('flights', '{ kind: sql, sql: "SELECT id, delay, day FROM flights f JOIN airports a ON f.dest = a.code WHERE delay > 10;" }')).toMatchObject({
      passed: false,
      failing_rows: 2,
      columns: ['id', 'delay', 'day'],
      sample: [
        { key: { id: 3 }, value: { id: 3, delay: 500, day: null } },
        { key: { id: 5 }, value: { id: 5, delay: 12, day: '2024-01-03' } },
      ],
    });
  });
  it('returns nulls as null, and the whole row as key when the query has no key', async () => {
    expect(await one('flights', '{ kind: sql, sql: "SELECT carrier, count(*) AS n FROM flights GROUP BY carrier HAVING carrier IS NULL" }')).toMatchObject({
      failing_rows: 1,
      sample: [{ key: { carrier: null, n: 1 }, value: { carrier: null, n: 1 } }],
    });
  });
  it('an empty table gives no rows', async () => {
    expect(await one('empty_flights', '{ kind: sql, sql: "SELECT * FROM empty_flights" }')).toMatchObject({ passed: true });
  });
  it('refuses an empty query, and reports a query that does not parse as a check that could not run', async () => {
    expect(await badConfig('flights', '{ kind: sql, sql: "" }')).toBe('dgit.yml:5: tables.flights.checks[0].sql: must not be empty');
    expect(await one('flights', '{ kind: sql, sql: "SELEC 1" }')).toMatchObject({ passed: false, error: 'the query does not parse: syntax error at or near "SELEC"' });
  });
});

describe('the report', () => {
  it('fails on a failed error check, not on a failed warning', async () => {
    const config = (severity: string) => yaml('version: 1', 'tables:', '  flights:', '    checks:', `      - { kind: not_null, column: delay, severity: ${severity} }`);
    expect((await runChecks(repository, 'main', { config: config('warn') })).passed).toBe(true);
    expect((await runChecks(repository, 'main', { config: config('error') })).passed).toBe(false);
  });
  it('names the commit checked (a working set without changes is its commit), or WORKING, and keeps at most the sample size', async () => {
    const config = yaml('version: 1', 'tables:', '  flights:', '    checks:', '      - { kind: not_null, column: gate }');
    const report = await runChecks(repository, 'main', { config, sampleSize: 1 });
    expect(report.revision).toBe(await repository.resolve('main'));
    expect(report.results[0]).toMatchObject({ failing_rows: 2, sample: [{ key: { id: 2 } }] });
    expect((await runChecks(repository, undefined, { config })).revision).toBe(await repository.resolve('main'));
    const { repository: changed } = await newRepository();
    await commitTables(changed, 'five flights', { flights: { key: ['id'], format: 'csv', rows: FLIGHTS } });
    await load(changed, { flights: { mode: 'append', format: 'csv', rows: [SIXTH] } });
    expect((await runChecks(changed, undefined, { config })).revision).toBe('WORKING');
  });
  it('keeps every failing row when asked, as a healer needs', async () => {
    const config = yaml('version: 1', 'tables:', '  flights:', '    checks:', '      - { kind: range, column: delay, max: 0 }');
    const report = await runChecks(repository, 'main', { config, sampleSize: Infinity });
    expect(report.results[0]!.sample.map((s) => s.key)).toEqual([{ id: 1 }, { id: 3 }, { id: 5 }, { id: 6 }]);
  });
  it('a revision without dgit.yml has nothing to check and passes', async () => {
    expect(await runChecks(repository, 'main')).toEqual({ revision: await repository.resolve('main'), passed: true, config: false, results: [] });
  });
});
