import { describe, expect, it } from 'vitest';
import { fixProfile, heal, readFixTrailers, type HealIncident } from '../../engine/heal/index.js';
import { Repository } from '../../engine/repository/repository.js';
import { commitConfig, load, penguins, repositoryWith, yaml } from './support/heal-fixtures.js';

/**
 * What a heal did to the values it touched, per column, from the diff of its
 * commit: the reviewer sees masses ten times too large go back to their range and
 * the quarantined row leave, without the incident memory's bookkeeping. On real
 * rows of vega-datasets' penguins.
 */

const RANGE = yaml(
  'version: 1',
  'tables:',
  '  penguins:',
  '    checks:',
  '      - { kind: range, column: Body Mass (g), min: 2000, max: 7000 }',
  'policy:',
  '  tables:',
  '    penguins: {}',
);

/** A heal that restores re-sent rows whose mass is ten times too large and quarantines a new row with no good version. */
async function restoredAndQuarantined(): Promise<{ repository: Repository; incident: HealIncident; resent: typeof penguins }> {
  const dir = repositoryWith('penguins', penguins);
  await commitConfig(dir, RANGE);
  const resent = penguins.slice(0, 5).filter((p) => p['Body Mass (g)'] !== null).map((p) => ({ ...p, 'Body Mass (g)': Number(p['Body Mass (g)']) * 10 }));
  await load(dir, 'penguins', [...resent, { ...penguins[0]!, id: 900, 'Body Mass (g)': 99999 }]);
  const repository = await Repository.open(dir);
  const { incidents } = await heal(repository);
  expect(incidents).toHaveLength(1);
  return { repository, incident: incidents[0]!, resent };
}

describe('the profile of a fix', () => {
  it('gives nulls, distinct values, min and max of the affected rows before and after, per user table, leaving out the incident memory', async () => {
    const { repository, incident, resent } = await restoredAndQuarantined();
    const profile = await fixProfile(repository, incident.commit!);
    expect(profile.to).toBe(incident.commit);
    expect(profile.tables.map((t) => t.table)).toEqual(['penguins', 'penguins__quarantine']);

    const [table, quarantine] = profile.tables;
    expect(table!.rows).toEqual({ modified: resent.length, removed: 1, added: 0 });
    expect(table!.capped).toBe(false);
    const masses = resent.map((p) => Number(p['Body Mass (g)']) / 10);
    const mass = table!.columns.find((c) => c.column === 'Body Mass (g)')!;
    expect(mass.changed).toBe(true);
    expect(mass.before).toMatchObject({ rows: resent.length + 1, nulls: 0, min: String(Math.min(...masses) * 10), max: '99999' });
    expect(mass.after).toMatchObject({ rows: resent.length, nulls: 0, distinct: new Set(masses).size, min: String(Math.min(...masses)), max: String(Math.max(...masses)) });
    // The key is marked; a column the fix left alone has the same figures on both sides.
    expect(table!.columns.find((c) => c.column === 'id')).toMatchObject({ key: true, before: { min: '1', max: '900' }, after: { min: '1', max: String(resent.at(-1)!.id) } });
    const species = table!.columns.find((c) => c.column === 'Species')!;
    expect(species).toMatchObject({ changed: false, before: { distinct: 1, min: 'Adelie' }, after: { distinct: 1, min: 'Adelie' } });

    // The quarantined row: nothing before, one row after.
    expect(quarantine!.rows).toEqual({ modified: 0, removed: 0, added: 1 });
    const quarantinedMass = quarantine!.columns.find((c) => c.column === 'Body Mass (g)')!;
    expect(quarantinedMass).toMatchObject({ before: null, after: { rows: 1, min: '99999', max: '99999' } });
  });

  it('profiles at most maxRows changed rows per table and says so', async () => {
    const { repository, incident } = await restoredAndQuarantined();
    const profile = await fixProfile(repository, incident.commit!, { maxRows: 2 });
    const table = profile.tables.find((t) => t.table === 'penguins')!;
    expect(table.capped).toBe(true);
    expect(table.rows.modified + table.rows.removed + table.rows.added).toBe(2);
    expect(profile.tables.find((t) => t.table === 'penguins__quarantine')!.capped).toBe(false);
  });
});

describe('the fix trailers of a commit message', () => {
  it('reads the kinds with their counts, the resolution, the evidence and the review mark', () => {
    const message = ['heal: x', '', 'Edits:', '- restored 3 rows', '', 'dgit-fix: restored 45 (from 123456789012), quarantined 5', 'dgit-resolution: contained', `dgit-evidence: ${'a'.repeat(40)}`, 'dgit-review: required', ''].join('\n');
    expect(readFixTrailers(message)).toMatchObject({ kinds: { restored: 45, quarantined: 5 }, resolution: 'contained', evidence: 'a'.repeat(40), reviewRequired: true });
    expect(readFixTrailers('dgit-fix: none\n')).toMatchObject({ kinds: {}, resolution: undefined, reviewRequired: false });
    expect(readFixTrailers('an ordinary commit\n')).toBeUndefined();
  });
});
