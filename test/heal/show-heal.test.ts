import { beforeAll, describe, expect, it } from 'vitest';
import { heal, type HealIncident } from '../../engine/heal/index.js';
import { Repository } from '../../engine/repository/repository.js';
import { dgit } from '../support/cli.js';
import { commitConfig, load, penguins, repositoryWith, yaml } from './support/heal-fixtures.js';

/**
 * `dgit show` of a heal commit leads with the fix (kind, counts, evidence) and the
 * before/after profile of the rows it changed; the incident memory it updated is
 * folded out of the diff, one `--table _dgit_incidents` away; `--json` adds a
 * `fix` object and keeps the whole diff. Real rows of vega-datasets' penguins.
 */

let dir: string;
let good: string;
let incident: HealIncident;

/** What the test reads of `dgit show --json`. */
interface ShownJson {
  commit: { commit: string };
  fix: { profile: { tables: unknown[] } };
  diff: { tables: Array<{ table: string }> };
}

function ok(...args: string[]): string {
  const result = dgit(dir, ...args);
  if (result.code !== 0) throw new Error(`dgit ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return result.stdout;
}

beforeAll(async () => {
  dir = repositoryWith('penguins', penguins);
  good = await commitConfig(
    dir,
    yaml('version: 1', 'tables:', '  penguins:', '    checks:', '      - { kind: range, column: Body Mass (g), min: 2000, max: 7000 }', 'policy:', '  tables:', '    penguins: {}'),
  );
  const resent = penguins.slice(0, 5).filter((p) => p['Body Mass (g)'] !== null).map((p) => ({ ...p, 'Body Mass (g)': Number(p['Body Mass (g)']) * 10 }));
  await load(dir, 'penguins', [...resent, { ...penguins[0]!, id: 900, 'Body Mass (g)': 99999 }]);
  const { incidents } = await heal(await Repository.open(dir));
  expect(incidents).toHaveLength(1);
  incident = incidents[0]!;
});

describe('dgit show of a heal commit', () => {
  it('leads with the fix and the profile of the affected rows, and leaves the incident memory out of the diff', () => {
    const out = ok('show', incident.branch!);
    const fix = out.indexOf(`Fix (contained): restored 4 (from ${good.slice(0, 12)}), quarantined 1 by restore+quarantine`);
    const profile = out.indexOf('Affected rows, before → after');
    const message = out.indexOf('    heal: penguins.Body Mass (g).range');
    const diff = out.indexOf('table penguins: modified');
    expect(fix).toBeGreaterThan(0);
    expect(fix).toBeLessThan(profile);
    expect(profile).toBeLessThan(message);
    expect(message).toBeLessThan(diff);
    expect(out).toContain(`Restored values come from ${good}`);
    expect(out).toContain('penguins: 4 modified, 1 removed');
    expect(out).toMatch(/Body Mass \(g\) +0 +5 → 4 +32500 → 3250 +99999 → 3800/);
    expect(out).toMatch(/\(6 unchanged columns not shown\)/);
    // The bookkeeping: one line on where to see it, no rows.
    expect(out).toContain(`see it with: dgit show ${incident.branch} --table _dgit_incidents`);
    expect(out).not.toMatch(/^table _dgit_incidents/m);
    expect(out).toContain('2 tables changed: 1 added, 1 deleted, 4 modified');
  });

  it('still shows the incident memory when asked for it by name', () => {
    const out = ok('show', incident.branch!, '--table', '_dgit_incidents');
    expect(out).toMatch(/^table _dgit_incidents: (added|modified)$/m);
    expect(out).not.toMatch(/^table penguins/m);
    expect(out).not.toContain('see it with');
  });

  it('--format markdown leads with the escaped fix and a Markdown profile', () => {
    const out = ok('show', incident.branch!, '--format', 'markdown');
    expect(out.indexOf('Fix \\(contained\\): restored 4')).toBeGreaterThan(0);
    expect(out).toContain('| Body Mass \\(g\\) | 0 | 5 → 4 | 32500 → 3250 | 99999 → 3800 |');
    expect(out.indexOf('| Body Mass \\(g\\) |')).toBeLessThan(out.indexOf('    heal:'));
    // Named only by the line that says where to see it.
    expect(out.match(/\\_dgit\\_incidents/g)).toHaveLength(2);
  });

  it('--format html puts the fix and the profile in the page, under its title, and no incident memory section', () => {
    const out = ok('show', incident.branch!, '--format', 'html');
    const fix = out.indexOf('<p>Fix (contained): restored 4');
    expect(fix).toBeGreaterThan(out.indexOf('<h1>'));
    expect(out.indexOf('<table class="profile">')).toBeGreaterThan(fix);
    expect(out.indexOf('<table class="profile">')).toBeLessThan(out.indexOf('<section id="summary">'));
    expect(out).not.toContain('<h2>_dgit_incidents');
  });

  it('--json adds a fix object (kinds, resolution, evidence, review, profile) and keeps every other field and the whole diff', () => {
    const shown = JSON.parse(ok('show', incident.branch!, '--json')) as ShownJson;
    expect(Object.keys(shown)).toEqual(['commit', 'fix', 'diff']);
    expect(shown['commit'].commit).toBe(incident.commit);
    expect(shown['fix']).toMatchObject({
      kinds: { restored: 4, quarantined: 1 },
      resolution: 'contained',
      evidence: good,
      review_required: false,
      incident: incident.incident,
      strategy: 'restore+quarantine',
      incident_memory_updated: true,
      profile: { to: incident.commit, max_rows: 100_000 },
    });
    const [penguinsProfile, quarantine] = shown['fix'].profile.tables as Array<{ table: string; columns: Array<{ column: string }> }>;
    expect(penguinsProfile).toMatchObject({ table: 'penguins', rows: { modified: 4, removed: 1, added: 0 }, capped: false });
    expect(penguinsProfile!.columns.find((c) => c.column === 'Body Mass (g)')).toEqual({
      column: 'Body Mass (g)',
      key: false,
      changed: true,
      before: { rows: 5, nulls: 0, distinct: 5, min: '32500', max: '99999' },
      after: { rows: 4, nulls: 0, distinct: 4, min: '3250', max: '3800' },
    });
    expect(quarantine!.table).toBe('penguins__quarantine');
    expect(shown['diff'].tables.map((t) => t.table)).toEqual(['_dgit_incidents', 'penguins', 'penguins__quarantine']);
  });

  it('an ordinary commit has no fix', () => {
    expect(Object.keys(JSON.parse(ok('show', good, '--json')) as object)).toEqual(['commit', 'diff']);
    expect(ok('show', good)).not.toContain('Fix (');
  });
});
