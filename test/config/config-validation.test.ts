import { beforeAll, describe, expect, it } from 'vitest';
import { runChecks } from '../../engine/checks/index.js';
import { ConfigError, readConfigText, writeConfig } from '../../engine/config/index.js';
import type { Repository } from '../../engine/repository/repository.js';
import { commitTables, newRepository, yaml } from '../checks/check-fixtures.js';

let repository: Repository;

beforeAll(async () => {
  ({ repository } = await newRepository());
  await commitTables(repository, 'flights and airports', {
    flights: {
      key: ['id'],
      format: 'csv',
      rows: [
        { id: 1, origin: 'JFK', delay: 5, carrier: 'AA', at: '2024-01-01 10:00:00', day: '2024-01-01' },
        { id: 2, origin: 'LAX', delay: null, carrier: 'UA', at: '2024-01-02 10:00:00', day: '2024-01-02' },
      ],
    },
    airports: { key: ['code'], rows: [{ code: 'JFK', name: 'Kennedy' }] },
  });
});

/** The problems writeConfig reports for `text`, after proving it wrote nothing. */
async function problems(text: string): Promise<string[]> {
  const before = (await repository.workingSet()).tree;
  try {
    await writeConfig(repository, text);
  } catch (error) {
    expect((await repository.workingSet()).tree).toBe(before);
    if (error instanceof ConfigError) return error.message.split('\n');
    throw error;
  }
  throw new Error('expected a ConfigError');
}

const flightsChecks = (...checks: string[]) => yaml('version: 1', 'tables:', '  flights:', '    checks:', ...checks.map((c) => `      - ${c}`));

describe('dgit.yml is checked against the tables of the revision', () => {
  it('an unknown table names the tables there and the closest one', async () => {
    expect(await problems(yaml('version: 1', 'tables:', '  flihgts:', '    checks: []'))).toEqual([
      'dgit.yml:3: tables.flihgts: table "flihgts" does not exist at WORKING (did you mean "flights"?)',
    ]);
    expect(await problems(yaml('version: 1', 'tables:', '  zebras: {}'))).toEqual([
      'dgit.yml:3: tables.zebras: table "zebras" does not exist at WORKING (tables: airports, flights)',
    ]);
  });

  it('a column that does not exist, in any check kind', async () => {
    expect(
      await problems(
        flightsChecks(
          '{ kind: not_null, column: dealy }',
          '{ kind: unique, columns: [origin, dset] }',
          '{ kind: foreign_key, column: orign, references: { table: airports, column: code } }',
        ),
      ),
    ).toEqual([
      'dgit.yml:5: tables.flights.checks[0].column: column "dealy" does not exist in table flights (did you mean "delay"?)',
      'dgit.yml:6: tables.flights.checks[1].columns[1]: column "dset" does not exist in table flights',
      'dgit.yml:7: tables.flights.checks[2].column: column "orign" does not exist in table flights (did you mean "origin"?)',
    ]);
  });

  it('a regular expression DuckDB cannot compile (RE2 has no lookahead, unlike JavaScript)', async () => {
    expect(await problems(flightsChecks('{ kind: pattern, column: origin, pattern: "^(?=J)[A-Z]{3}$" }', '{ kind: pattern, column: carrier, pattern: "[A-Z" }'))).toEqual([
      'dgit.yml:5: tables.flights.checks[0].pattern: invalid regular expression: invalid perl operator: (?=',
      'dgit.yml:6: tables.flights.checks[1].pattern: invalid regular expression: missing ]: [A-Z',
    ]);
  });

  it('a foreign key to a missing table, a missing column, or a column of another type', async () => {
    expect(
      await problems(
        flightsChecks(
          '{ kind: foreign_key, column: origin, references: { table: airport, column: code } }',
          '{ kind: foreign_key, column: origin, references: { table: airports, column: iata }, name: origin_iata }',
          '{ kind: foreign_key, column: delay, references: { table: airports, column: code } }',
        ),
      ),
    ).toEqual([
      'dgit.yml:5: tables.flights.checks[0].references.table: table "airport" does not exist at WORKING (did you mean "airports"?)',
      'dgit.yml:6: tables.flights.checks[1].references.column: column "iata" does not exist in table airports',
      'dgit.yml:7: tables.flights.checks[2].references.column: airports.code is Utf8 but flights.delay is Int64; they cannot be compared',
    ]);
  });

  it('values that do not fit the column type', async () => {
    expect(
      await problems(
        flightsChecks(
          '{ kind: range, column: day, min: 5 }',
          '{ kind: range, column: day, min: "2024-13-45", name: day_in_month }',
          '{ kind: range, column: carrier, max: 5 }',
          '{ kind: accepted_values, column: delay, values: [1, "two"] }',
          '{ kind: accepted_values, column: delay, values: [1], case_sensitive: false, name: delay_any_case }',
          '{ kind: freshness, column: carrier, max_age: 1d }',
        ),
      ),
    ).toEqual([
      'dgit.yml:5: tables.flights.checks[0].min: 5 is a number but column type Date32 needs a date as text like "2024-01-31"',
      'dgit.yml:6: tables.flights.checks[1].min: "2024-13-45" is not a valid Date32 value',
      'dgit.yml:7: tables.flights.checks[2].max: 5 is a number but column type Utf8 needs text',
      'dgit.yml:8: tables.flights.checks[3].values[1]: "two" is not a valid Int64 value',
      'dgit.yml:9: tables.flights.checks[4].case_sensitive: case_sensitive applies to text columns; delay is Int64',
      'dgit.yml:10: tables.flights.checks[5].column: a freshness check needs a date or timestamp column; carrier is Utf8',
    ]);
  });

  it('defaults and the healer policy name existing columns with fitting values', async () => {
    expect(
      await problems(
        yaml(
          'version: 1',
          'tables:',
          '  flights:',
          '    defaults: { delay: soon, gate: A1 }',
          'policy:',
          '  tables:',
          '    flights: { columns: [carrier, terminal] }',
          '    hotels: {}',
        ),
      ),
    ).toEqual([
      'dgit.yml:4: tables.flights.defaults.delay: "soon" is not a valid Int64 value',
      'dgit.yml:4: tables.flights.defaults.gate: column "gate" does not exist in table flights',
      'dgit.yml:7: policy.tables.flights.columns[1]: column "terminal" does not exist in table flights',
      'dgit.yml:8: policy.tables.hotels: table "hotels" does not exist at WORKING (tables: airports, flights)',
    ]);
  });

  it('running the checks of an invalid dgit.yml fails the same way, before any check runs', async () => {
    const text = flightsChecks('{ kind: not_null, column: dealy }');
    await expect(runChecks(repository, 'main', { config: text })).rejects.toThrow(
      `dgit.yml:5: tables.flights.checks[0].column: column "dealy" does not exist in table flights (did you mean "delay"?)`,
    );
  });

  it('a valid dgit.yml is stored in the working set, and only there', async () => {
    const text = flightsChecks('{ kind: not_null, column: delay }');
    const loaded = await writeConfig(repository, text);
    expect(loaded.checks.map((c) => c.id)).toEqual(['flights.delay.not_null']);
    const working = await repository.workingSet();
    expect(await readConfigText(repository, working.tree)).toBe(text);
    expect(await readConfigText(repository, working.headTree)).toBeUndefined();
  });
});
