import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../engine/config/index.js';

/** The lines of a ConfigError's message, or a failure when the text parses. */
function configErrors(text: string): string[] {
  try {
    parseConfig(text);
  } catch (error) {
    if (error instanceof ConfigError) return error.message.split('\n');
    throw error;
  }
  throw new Error('expected a ConfigError');
}

const yaml = (...lines: string[]) => lines.join('\n') + '\n';

describe('dgit.yml errors name the line and the key path', () => {
  it('an unknown check kind names its line, path and the closest kind', () => {
    const text = yaml(
      'version: 1',
      'tables:',
      '  flights:',
      '    checks:',
      '      - kind: not_null',
      '        column: delay',
      '      - kind: unique',
      '        column: id',
      '      - kind: not_nul',
      '        column: carrier',
    );
    expect(configErrors(text)).toEqual([
      'dgit.yml:9: tables.flights.checks[2].kind: unknown check kind "not_nul" (did you mean "not_null"?); expected one of not_null, unique, accepted_values, range, pattern, row_count, foreign_key, freshness, sql',
    ]);
  });

  it('every problem of the file is reported at once, in line order', () => {
    const text = yaml(
      'version: 1',
      'tables:',
      '  flights:',
      '    checks:',
      '      - kind: range',
      '        column: delay',
      '        colum: 3',
      '      - kind: freshness',
      '        column: at',
      '        max_age: 3 days',
      '      - column: x',
      '      - kind: not_null',
      '        column: delay',
      '        severity: fatal',
    );
    expect(configErrors(text)).toEqual([
      'dgit.yml:7: tables.flights.checks[0].colum: unknown key "colum" (did you mean "column"?)',
      'dgit.yml:10: tables.flights.checks[1].max_age: expected a duration like "90m", "36h", "7d" or "1d12h", got "3 days"',
      'dgit.yml:11: tables.flights.checks[2]: a check needs a "kind": one of not_null, unique, accepted_values, range, pattern, row_count, foreign_key, freshness, sql',
      'dgit.yml:14: tables.flights.checks[3].severity: expected "error" or "warn", got "fatal"',
    ]);
  });

  it('a missing required key points at its check', () => {
    expect(configErrors(yaml('version: 1', 'tables:', '  t:', '    checks:', '      - kind: accepted_values', '        column: c'))).toEqual([
      'dgit.yml:5: tables.t.checks[0]: missing required key "values"',
    ]);
  });

  it('values of the wrong type say what was expected and what was found', () => {
    expect(configErrors(yaml('version: 1', 'tables:', '  t:', '    checks:', '      - kind: row_count', '        min: 2.5', '        max_change: lots'))).toEqual([
      'dgit.yml:6: tables.t.checks[0].min: expected a whole number, got 2.5',
      'dgit.yml:7: tables.t.checks[0].max_change: expected a number of rows or a percentage like "10%", got "lots"',
    ]);
    expect(configErrors(yaml('version: 1', 'tables: [a, b]'))).toEqual(['dgit.yml:2: tables: expected a mapping, got a list']);
  });

  it('the version must be 1', () => {
    expect(configErrors(yaml('version: 2'))).toEqual(['dgit.yml:1: version: expected 1, got 2']);
    expect(configErrors(yaml('tables: {}'))).toEqual(['dgit.yml:1: missing required key "version"']);
  });

  it('YAML syntax errors and duplicate keys name their line', () => {
    expect(configErrors(yaml('version: 1', 'version: 1'))).toEqual(['dgit.yml:2: invalid YAML: Map keys must be unique']);
    const [message] = configErrors(yaml('version: 1', 'tables:', '  t: {checks: [}'));
    expect(message).toMatch(/^dgit\.yml:3: invalid YAML: /);
  });

  it('an empty file says how to start', () => {
    expect(configErrors('')).toEqual(['dgit.yml:1: the file is empty; it starts with `version: 1`']);
    expect(configErrors('# only a comment\n')).toEqual(['dgit.yml:1: the file is empty; it starts with `version: 1`']);
  });

  it('unique and foreign_key take either column or columns, and a foreign key the same number on both sides', () => {
    const text = yaml(
      'version: 1',
      'tables:',
      '  t:',
      '    checks:',
      '      - kind: unique',
      '      - kind: unique',
      '        column: a',
      '        columns: [a, b]',
      '      - kind: foreign_key',
      '        columns: [a, b]',
      '        references: { table: u, column: x }',
    );
    expect(configErrors(text)).toEqual([
      'dgit.yml:5: tables.t.checks[0]: needs "column" (one column) or "columns" (a list)',
      'dgit.yml:8: tables.t.checks[1].columns: give either "column" or "columns", not both',
      'dgit.yml:11: tables.t.checks[2].references: references 1 column(s) but the check names 2',
    ]);
  });

  it('bounds must be in order and present', () => {
    const text = yaml(
      'version: 1',
      'tables:',
      '  t:',
      '    checks:',
      '      - { kind: range, column: a }',
      '      - { kind: range, column: a, min: 10, max: 1 }',
      '      - { kind: row_count }',
      '      - { kind: row_count, min: 5, max: 2 }',
      '      - { kind: freshness, column: at, max_age: 0h }',
      '      - { kind: range, column: a, min: NaN }',
      '      - { kind: range, column: a, min: 0, max: " nan" }',
    );
    expect(configErrors(text)).toEqual([
      'dgit.yml:5: tables.t.checks[0]: a range check needs "min", "max" or both',
      'dgit.yml:6: tables.t.checks[1].min: min 10 is greater than max 1',
      'dgit.yml:7: tables.t.checks[2]: a row_count check needs "min", "max" or "max_change"',
      'dgit.yml:8: tables.t.checks[3].min: min 5 is greater than max 2',
      'dgit.yml:9: tables.t.checks[4].max_age: must be longer than 0',
      'dgit.yml:10: tables.t.checks[5].min: min cannot be NaN: NaN lies in no range (a range check fails NaN values)',
      'dgit.yml:11: tables.t.checks[6].max: max cannot be NaN: NaN lies in no range (a range check fails NaN values)',
    ]);
  });

  it('two checks with one id are refused, pointing at the earlier one', () => {
    const text = yaml(
      'version: 1',
      'tables:',
      '  t:',
      '    checks:',
      '      - kind: sql',
      '        sql: SELECT 1',
      '      - kind: sql',
      '        sql: SELECT 2',
      '      - kind: sql',
      '        name: second_query',
      '        sql: SELECT 3',
    );
    expect(configErrors(text)).toEqual(['dgit.yml:7: tables.t.checks[1]: check id "t.sql" is already used by the check at line 5; give one of them a "name"']);
  });

  it('key paths quote keys that are not plain words', () => {
    expect(configErrors(yaml('version: 1', 'tables:', '  t:', '    defaults:', '      "US Gross": [1]'))).toEqual([
      'dgit.yml:5: tables.t.defaults["US Gross"]: expected a string, a number or a boolean, got a list',
    ]);
  });

  it('a document of aliases that expands without bound is refused', () => {
    const bomb = ['version: 1', 'a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (const name of ['b', 'c', 'd', 'e', 'f', 'g']) bomb.push(`${name}: &${name} [*${String.fromCharCode(name.charCodeAt(0) - 1)}, *${String.fromCharCode(name.charCodeAt(0) - 1)}, *${String.fromCharCode(name.charCodeAt(0) - 1)}, *${String.fromCharCode(name.charCodeAt(0) - 1)}, *${String.fromCharCode(name.charCodeAt(0) - 1)}, *${String.fromCharCode(name.charCodeAt(0) - 1)}, *${String.fromCharCode(name.charCodeAt(0) - 1)}, *${String.fromCharCode(name.charCodeAt(0) - 1)}, *${String.fromCharCode(name.charCodeAt(0) - 1)}]`);
    const [message] = configErrors(bomb.join('\n'));
    expect(message).toMatch(/^dgit\.yml:1: invalid YAML: .*alias/i);
  });
});

describe('a valid dgit.yml', () => {
  it('normalises checks: ids, columns, defaults and the line of each check', () => {
    const loaded = parseConfig(
      yaml(
        '# yaml-language-server: $schema=./dgit.schema.json',
        'version: 1',
        'tables:',
        '  flights:',
        '    checks:',
        '      - kind: not_null',
        '        column: delay',
        '      - kind: unique',
        '        columns: [origin, dest]',
        '        severity: warn',
        '        description: one flight per route',
        '      - kind: row_count',
        '        max_change: "12.5%"',
        '      - kind: freshness',
        '        column: at',
        '        max_age: 1d12h',
        '      - kind: foreign_key',
        '        column: origin',
        '        references: { table: airports, column: iata }',
        '        name: flights.origin_known',
        '    defaults:',
        '      carrier: UNKNOWN',
        'policy:',
        '  max_rows_per_proposal: 50',
        '  tables:',
        '    flights: { columns: [carrier] }',
      ),
    );
    expect(loaded.checks.map((c) => [c.id, c.kind, c.severity, c.location.line])).toEqual([
      ['flights.delay.not_null', 'not_null', 'error', 6],
      ['flights.origin+dest.unique', 'unique', 'warn', 8],
      ['flights.row_count', 'row_count', 'error', 12],
      ['flights.at.freshness', 'freshness', 'error', 14],
      ['flights.origin_known', 'foreign_key', 'error', 17],
    ]);
    expect(loaded.checks[1]).toMatchObject({ columns: ['origin', 'dest'], description: 'one flight per route' });
    expect(loaded.checks[2]).toMatchObject({ maxChange: { percent: 12.5 } });
    expect(loaded.checks[3]).toMatchObject({ maxAgeSeconds: 36 * 3600 });
    expect(loaded.checks[4]).toMatchObject({ columns: ['origin'], references: { table: 'airports', columns: ['iata'] } });
    expect(loaded.config.tables['flights']?.defaults).toEqual({ carrier: 'UNKNOWN' });
    expect(loaded.config.policy).toEqual({ max_rows_per_proposal: 50, land_unreviewed: false, tables: { flights: { columns: ['carrier'], delete_rows: true, null_unconvertible: false } } });
  });
});
