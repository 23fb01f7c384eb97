import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runChecks } from '../../engine/checks/index.js';
import { runSql } from '../../engine/commands/sql.js';
import { heal, type HealIncident } from '../../engine/heal/index.js';
import { Repository } from '../../engine/repository/repository.js';
import { DATA } from '../support/cli.js';
import { commitConfig, load, penguins, repositoryWith, yaml } from './support/heal-fixtures.js';

/**
 * The healer uses the history first: a failing row whose key had a good version
 * at the last revision where the check passed is restored from it (citing the
 * commit); a foreign key broken by a shrunken dimension restores the dimension; a
 * partial load is reverted only as a proposal a person reviews. On real rows of
 * vega-datasets.
 */

async function rows(repository: Repository, sql: string, rev: string): Promise<Array<Record<string, unknown>>> {
  const result = await runSql(repository, sql, { rev });
  if (result.kind !== 'rows') throw new Error('not a query');
  return result.rows;
}

function only(incidents: HealIncident[]): HealIncident {
  expect(incidents).toHaveLength(1);
  return incidents[0]!;
}

const RANGE = yaml(
  'version: 1',
  'tables:',
  '  penguins:',
  '    checks:',
  '      - { kind: range, column: Body Mass (g), min: 2000, max: 7000 }',
  '      - { kind: not_null, column: Species }',
  'policy:',
  '  tables:',
  '    penguins: {}',
);

describe('restore', () => {
  it('restores re-sent rows with a value ten times too large from the last passing revision, and quarantines only the new row that never had a good value', async () => {
    const dir = repositoryWith('penguins', penguins);
    const good = await commitConfig(dir, RANGE);
    const resent = penguins.slice(0, 5).filter((p) => p['Body Mass (g)'] !== null).map((p) => ({ ...p, 'Body Mass (g)': Number(p['Body Mass (g)']) * 10 }));
    await load(dir, 'penguins', [...resent, { ...penguins[0]!, id: 900, 'Body Mass (g)': 99999 }]);
    const repository = await Repository.open(dir);
    const incident = only((await heal(repository)).incidents);
    expect(incident).toMatchObject({ strategy: 'restore+quarantine', kinds: { restored: resent.length, quarantined: 1 }, resolution: 'contained', evidence: good });
    const restored = await rows(repository, `SELECT id, "Body Mass (g)" AS mass FROM penguins WHERE id <= 5 ORDER BY id`, incident.branch!);
    expect(restored).toEqual(penguins.slice(0, 5).map((p) => ({ id: p['id'], mass: p['Body Mass (g)'] })));
    const message = (await repository.readCommit(incident.commit as never)).message;
    expect(message).toContain(`restored from ${good.slice(0, 12)}, the last revision where penguins.Body Mass (g).range passed`);
    expect(message).toContain(`dgit-evidence: ${good}`);
    expect(message).toContain('dgit-resolution: contained');
  });

  it('restores a null in a re-sent row instead of filling a default: the fix is `fixed`, not `contained`', async () => {
    const dir = repositoryWith('penguins', penguins);
    const good = await commitConfig(
      dir,
      yaml('version: 1', 'tables:', '  penguins:', '    checks:', '      - { kind: not_null, column: Species }', '    defaults:', '      Species: Unknown', 'policy:', '  tables:', '    penguins: {}'),
    );
    await load(dir, 'penguins', [{ ...penguins[6]!, Species: null }, { ...penguins[7]!, Species: null }]);
    const repository = await Repository.open(dir);
    const incident = only((await heal(repository)).incidents);
    expect(incident).toMatchObject({ strategy: 'restore', kinds: { restored: 2 }, resolution: 'fixed', evidence: good });
    expect(await rows(repository, 'SELECT id, Species FROM penguins WHERE id IN (7, 8) ORDER BY id', incident.branch!)).toEqual([
      { id: 7, Species: penguins[6]!['Species'] },
      { id: 8, Species: penguins[7]!['Species'] },
    ]);
  });
});

describe('repair the cause', () => {
  type Row = Record<string, unknown>;
  const airports = fs
    .readFileSync(path.join(DATA, 'airports.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => {
      const [iata, name] = line.split(',');
      return { iata, name } as Row;
    });
  const flights = (JSON.parse(fs.readFileSync(path.join(DATA, 'flights-2k.json'), 'utf8')) as Row[]).slice(0, 300).map((f, i): Row => ({ id: i + 1, ...f }));
  const used = new Set(flights.flatMap((f) => [f['origin'], f['destination']]));
  const config = yaml(
    'version: 1',
    'tables:',
    '  flights:',
    '    checks:',
    '      - { kind: foreign_key, column: origin, references: { table: airports, column: iata } }',
    '  airports:',
    '    checks:',
    '      - { kind: row_count, max_change: "10%" }',
    'policy:',
    '  max_rows_per_proposal: 50',
    '  tables:',
    '    airports: {}',
    '    flights: {}',
  );

  it('a foreign key broken by a shrunken dimension restores the airports, not quarantines the flights', async () => {
    const dir = repositoryWith('flights', flights);
    await load(dir, 'airports', airports.filter((a) => used.has(a['iata'])), 'replace', 'airports', ['iata']);
    const good = await commitConfig(dir, config);
    const lost = [...used].slice(0, 3);
    await load(dir, 'airports', lost.map((iata) => ({ iata })), 'delete');
    const repository = await Repository.open(dir);
    const report = await heal(repository);
    const incident = report.incidents.find((i) => i.check === 'flights.origin.foreign_key')!;
    expect(incident).toMatchObject({ status: 'proposed', strategy: 'restore-referenced', resolution: 'fixed', evidence: good, quarantined: 0 });
    expect(await rows(repository, `SELECT count(*)::INT AS n FROM airports`, incident.branch!)).toEqual([{ n: used.size }]);
    expect(await rows(repository, `SELECT count(*)::INT AS n FROM flights`, incident.branch!)).toEqual([{ n: flights.length }]);
  });

  it('a partial load is reverted only as a proposal marked for review, and a second load cannot hide it', async () => {
    const dir = repositoryWith('flights', flights);
    await load(dir, 'airports', airports.filter((a) => used.has(a['iata'])), 'replace', 'airports', ['iata']);
    await commitConfig(dir, config);
    const kept = airports.filter((a) => used.has(a['iata'])).slice(0, Math.floor(used.size * 0.4));
    const partial = await load(dir, 'airports', kept, 'replace', 'partial load');
    // An ordinary load after it: against the parent alone the count would not move.
    await load(dir, 'airports', [{ ...kept[0]!, name: 'Renamed' }]);
    const repository = await Repository.open(dir);
    const checked = (await runChecks(repository, 'main')).results.find((r) => r.check === 'airports.row_count')!;
    expect(checked.passed).toBe(false);
    expect(checked.compared_with).toBe((await repository.readCommit(partial as never)).parents[0]);
    expect(checked.message).toMatch(/since [0-9a-f]{12}, the last revision where the check passed/);
    const incident = (await heal(repository)).incidents.find((i) => i.check === 'airports.row_count')!;
    // The revert is larger than max_rows_per_proposal: allowed only because a person must review it.
    expect(incident).toMatchObject({ status: 'proposed', strategy: 'revert-deletes', review_required: true, resolution: 'fixed' });
    expect(incident.rows_changed).toBe(used.size - kept.length);
    const message = (await repository.readCommit(incident.commit as never)).message;
    expect(message).toContain('dgit-review: required');
  });
});
