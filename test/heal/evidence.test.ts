import { beforeAll, describe, expect, it } from 'vitest';
import { failingRowEvidence } from '../../engine/heal/index.js';
import { Repository } from '../../engine/repository/repository.js';
import { UnknownNameError } from '../../engine/errors/index.js';
import { repositorySnapshot } from '../support/cli.js';
import { commitConfig, healCli, healCliOk, load, penguins, repositoryWith, yaml } from './support/heal-fixtures.js';

/**
 * The evidence the healer restores from, for anyone fixing by hand or by agent
 * (`failingRowEvidence`, `dgit propose --evidence`): the failing rows of a check
 * now and at the last revision where it passed. On the penguins of vega-datasets,
 * committed with their checks (all passing), then a bad load that re-sends rows
 * with a body mass ten times too large (one also moved to another island, with a
 * terminal escape in the name) and adds a new row that never had a good value.
 */

const MASS = 'penguins.Body Mass (g).range';
const CONFIG = yaml(
  'version: 1',
  'tables:',
  '  penguins:',
  '    checks:',
  '      - { kind: range, column: Body Mass (g), min: 2000, max: 7000 }',
  '      - { kind: not_null, column: Species }',
  '      - { kind: row_count, max: 344 }',
);
const ESCAPED_ISLAND = 'Dream\u001b[2J';
const RESENT = [1, 2, 3, 5].map((id) => {
  const row = penguins[id - 1]!;
  return { ...row, 'Body Mass (g)': Number(row['Body Mass (g)']) * 10, ...(id === 2 ? { Island: ESCAPED_ISLAND } : {}) };
});
const NEW_ROW = { ...penguins[0]!, id: 900, 'Body Mass (g)': 99999 };

let dir: string;
let good: string;
let bad: string;

beforeAll(async () => {
  dir = repositoryWith('penguins', penguins);
  good = await commitConfig(dir, CONFIG);
  bad = await load(dir, 'penguins', [...RESENT, NEW_ROW]);
});

describe('failingRowEvidence', () => {
  it('gives each failing row its values now and at the last revision where the check passed, and the columns that differ', async () => {
    const evidence = await failingRowEvidence(await Repository.open(dir), { check: MASS });
    expect(evidence).toMatchObject({
      rev: 'main',
      revision: bad,
      check: MASS,
      table: 'penguins',
      kind: 'range',
      passed: false,
      key_columns: ['id'],
      checked_columns: ['Body Mass (g)'],
      last_passing: good,
      row_level: true,
      failing_rows: 5,
      truncated: false,
      error: null,
    });
    expect(evidence.rows.map((row) => row.key)).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }, { id: 5 }, { id: 900 }]);
    for (const [index, row] of evidence.rows.slice(0, 4).entries()) {
      expect(row.last_good).toEqual(penguins[(row.key['id'] as number) - 1]);
      expect(row.current).toEqual(RESENT[index]);
    }
    expect(evidence.rows[0]!.changed).toEqual(['Body Mass (g)']);
    expect(evidence.rows[1]!.changed).toEqual(['Island', 'Body Mass (g)']);
    expect(evidence.rows[0]!.current!['Body Mass (g)']).toBe(37500);
    expect(evidence.rows[0]!.last_good!['Body Mass (g)']).toBe(3750);
    expect(evidence.message).toContain(`4 of the 5 listed had a good version at ${good.slice(0, 12)}`);
  });

  it('a row with no earlier version has no good version: last_good and changed are null', async () => {
    const evidence = await failingRowEvidence(await Repository.open(dir), { check: MASS });
    expect(evidence.rows[4]).toEqual({ key: { id: 900 }, current: NEW_ROW, last_good: null, changed: null });
  });

  it('lists at most `limit` rows in key order, counts them all and says it cut', async () => {
    const evidence = await failingRowEvidence(await Repository.open(dir), { check: MASS, limit: 2 });
    expect(evidence.rows.map((row) => row.key)).toEqual([{ id: 1 }, { id: 2 }]);
    expect(evidence).toMatchObject({ failing_rows: 5, truncated: true });
  });

  it('a check that never passed in the history has no last passing revision, and no row a good version', async () => {
    const evidence = await failingRowEvidence(await Repository.open(dir), { check: MASS, rev: good });
    expect(evidence).toMatchObject({ passed: true, rows: [], failing_rows: 0, last_passing: null });
    const sex = yaml('version: 1', 'tables:', '  penguins:', '    checks:', '      - { kind: accepted_values, column: Sex, values: [MALE, FEMALE] }');
    const other = repositoryWith('penguins', penguins);
    await commitConfig(other, sex);
    const never = await failingRowEvidence(await Repository.open(other), { check: 'penguins.Sex.accepted_values' });
    expect(never).toMatchObject({ passed: false, last_passing: null, failing_rows: 1, row_level: true });
    expect(never.rows).toEqual([{ key: { id: 337 }, current: penguins[336], last_good: null, changed: null }]);
    expect(never.message).toContain('no good version in the history');
  });

  it('a passing check says nothing is failing', async () => {
    const evidence = await failingRowEvidence(await Repository.open(dir), { check: 'penguins.Species.not_null' });
    expect(evidence).toMatchObject({ passed: true, rows: [], failing_rows: 0, truncated: false, last_passing: null, row_level: true });
    expect(evidence.message).toMatch(/passes at main \([0-9a-f]{12}\): nothing is failing/);
  });

  it('a check of the whole table (row_count) gives no rows and says why, with the revision where it last passed', async () => {
    const evidence = await failingRowEvidence(await Repository.open(dir), { check: 'penguins.row_count' });
    expect(evidence).toMatchObject({ passed: false, row_level: false, rows: [], last_passing: good, truncated: false });
    expect(evidence.message).toContain('a row_count check judges the table as a whole: there are no failing rows to show');
  });

  it('an unknown check is a not-found error that lists the checks there are', async () => {
    const error = await failingRowEvidence(await Repository.open(dir), { check: 'penguins.Mass.range' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnknownNameError);
    expect((error as Error).message).toBe(`check "penguins.Mass.range" not found; checks: ${MASS}, penguins.Species.not_null, penguins.row_count`);
  });
});

describe('dgit propose --evidence', () => {
  it('prints the failing rows with their last good values, escaping the data, and writes nothing', () => {
    const before = repositorySnapshot(dir);
    const out = healCliOk(dir, 'propose', '--evidence', '--check', MASS);
    expect(out).toContain(`${MASS} fails at main (${bad.slice(0, 12)}): 5 failing rows (range, error).`);
    expect(out).toContain(`Last passed at ${good}.`);
    expect(out).toContain('key {"id":1}: changed Body Mass (g)\n  Body Mass (g): 37500  (last good: 3750)\n');
    expect(out).toContain('key {"id":2}: changed Island, Body Mass (g)\n  Body Mass (g): 38000  (last good: 3800)\n  Island: "Dream\\u001b[2J"  (last good: "Torgersen")\n');
    expect(out).not.toContain('\u001b');
    expect(out).toContain('key {"id":900}: no good version in the history\n  Body Mass (g): 99999\n');
    expect(repositorySnapshot(dir)).toBe(before);
  });

  it('--json prints the engine object', async () => {
    const printed = JSON.parse(healCliOk(dir, 'propose', '--evidence', '--check', MASS, '--limit', '3', '--json')) as unknown;
    expect(printed).toEqual(await failingRowEvidence(await Repository.open(dir), { check: MASS, limit: 3 }));
    expect(printed).toMatchObject({ truncated: true, failing_rows: 5 });
  });

  it('an unknown check exits 2, names the checks there are, and leaves the repository as it was', () => {
    const before = repositorySnapshot(dir);
    const result = healCli(dir, 'propose', '--evidence', '--check', 'nope');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`dgit: error: check "nope" not found; checks: ${MASS}, penguins.Species.not_null, penguins.row_count`);
    expect(result.stdout).toBe('');
    expect(repositorySnapshot(dir)).toBe(before);
  });

  it('--evidence with --patch, --evidence without --check, a bad --limit and neither flag are usage errors (exit 2)', () => {
    const before = repositorySnapshot(dir);
    const both = healCli(dir, 'propose', '--evidence', '--check', MASS, '--patch', 'fix.json');
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--evidence writes nothing and takes no --patch');
    expect(healCli(dir, 'propose', '--evidence').code).toBe(2);
    expect(healCli(dir, 'propose', '--evidence', '--check', MASS, '--limit', '0').code).toBe(2);
    const neither = healCli(dir, 'propose');
    expect(neither.code).toBe(2);
    expect(neither.stderr).toContain('give --patch FILE, or --evidence --check ID');
    expect(repositorySnapshot(dir)).toBe(before);
  });
});
