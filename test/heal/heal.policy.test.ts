import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importTable } from '../../engine/commands/import.js';
import { heal, type HealIncident } from '../../engine/heal/index.js';
import { Repository } from '../../engine/repository/repository.js';
import { repositorySnapshot, writeFile } from '../support/cli.js';
import { commitConfig, defaultBranchState, healCli, healCliOk, ndjson, penguins, repositoryWith, run, yaml } from './support/heal-fixtures.js';

/**
 * What the healer may never do: write to the default branch (or any working
 * set), go beyond the policy of dgit.yml, offer a fix that breaks another check,
 * or propose the same fix twice.
 */

/** dgit.yml for penguins: three failing checks, Sex has a default, and `policy` lines as given. */
function config(...policy: string[]): string {
  return yaml(
    'version: 1',
    'tables:',
    '  penguins:',
    '    checks:',
    '      - { kind: not_null, column: Sex }',
    '      - { kind: accepted_values, column: Sex, values: [MALE, FEMALE] }',
    '      - { kind: not_null, column: "Body Mass (g)" }',
    ...policy,
  );
}

async function healed(dir: string): Promise<HealIncident[]> {
  return (await heal(await Repository.open(dir))).incidents;
}

function healBranches(dir: string): string[] {
  return run(dir, 'branch')
    .split('\n')
    .map((line) => line.replace(/^[* ]+/, '').trim())
    .filter((name) => name.startsWith('heal/'));
}

describe('heal --check', () => {
  it('a check dgit.yml does not have is a usage error listing the checks, never "every check passes"; nothing is written', async () => {
    const dir = repositoryWith('penguins', penguins);
    await commitConfig(dir, config('policy:', '  tables:', '    penguins: {}'));
    const before = repositorySnapshot(dir);
    await expect(heal(await Repository.open(dir), undefined, { checks: ['penguins.Sex.not_nul'] })).rejects.toThrow(/check "penguins\.Sex\.not_nul" not found.*penguins\.Sex\.not_null/s);
    const cli = healCli(dir, 'heal', '--check', 'penguins.Sex.not_nul', '--json');
    expect(cli.code).toBe(2);
    expect(cli.stdout).toBe('');
    expect(repositorySnapshot(dir)).toBe(before);
  });
});

describe('the default branch', () => {
  it('is byte-identical after a heal: ref, HEAD, working set (with uncommitted changes) and working files', async () => {
    const dir = repositoryWith('penguins', penguins);
    await commitConfig(dir, config('policy:', '  tables:', '    penguins: {}'));
    // An uncommitted change on main that a heal must not disturb.
    const file = writeFile(path.dirname(dir), 'extra.ndjson', ndjson([{ ...penguins[0]!, id: 1000, Sex: 'FEMALE' }]));
    await importTable(await Repository.open(dir), file, { table: 'penguins', mode: 'append' });
    const before = defaultBranchState(dir);
    const status = run(dir, 'status', '--json');

    const output = healCliOk(dir, 'heal');
    expect(output).toContain('Healing main');
    expect(healBranches(dir)).toHaveLength(3);
    expect(defaultBranchState(dir)).toBe(before);
    expect(run(dir, 'status', '--json')).toBe(status);
    expect(fs.readFileSync(path.join(dir, '.git/HEAD'), 'utf8')).toBe('ref: refs/heads/main\n');
    // Each proposal is one commit on top of the failing revision.
    for (const branch of healBranches(dir)) expect(run(dir, 'log', '--json', '-n', '5', branch).match(/"commit"/g)).toHaveLength(3);
  });

  it('is never the branch of a proposal, even when heal runs on another revision', async () => {
    const dir = repositoryWith('penguins', penguins);
    await commitConfig(dir, config('policy:', '  tables:', '    penguins: {}'));
    run(dir, 'branch', 'staging');
    const before = defaultBranchState(dir);
    const report = await heal(await Repository.open(dir), 'staging');
    expect(report.rev).toBe('staging');
    expect(report.incidents.every((incident) => incident.branch?.startsWith('heal/'))).toBe(true);
    expect(report.incidents[0]!.review).toMatch(/^dgit diff staging heal\//);
    expect(defaultBranchState(dir)).toBe(before);
  });
});

describe('the policy', () => {
  it('over max_rows: no proposal, and the incident says why', async () => {
    const dir = repositoryWith('penguins', penguins);
    await commitConfig(dir, config('    defaults:', '      Sex: UNKNOWN', 'policy:', '  tables:', '    penguins: { max_rows: 5 }'));
    const [sex] = await healed(dir);
    expect(sex).toMatchObject({ check: 'penguins.Sex.not_null', status: 'failed', branch: null });
    expect(sex!.attempts.map((a) => a.strategy)).toEqual(['fill-default', 'quarantine']);
    for (const attempt of sex!.attempts) expect(attempt.reason).toContain('the proposal changes 10 rows of penguins, more than policy.tables.penguins.max_rows (5)');
    expect(healBranches(dir).map((branch) => branch.replace(/-[0-9a-f]{10}$/, ''))).toEqual(['heal/penguins.Body-Mass-g.not_null', 'heal/penguins.Sex.accepted_values']);
    const incidents = JSON.parse(healCliOk(dir, 'incidents', '--json')) as { incidents: Array<{ check: string; outcome: string; reason: string }> };
    expect(incidents.incidents.find((i) => i.check === 'penguins.Sex.not_null')).toMatchObject({ outcome: 'failed', reason: expect.stringContaining('max_rows (5)') });
  });

  it('over max_rows_per_proposal: no proposal', async () => {
    const dir = repositoryWith('penguins', penguins);
    await commitConfig(dir, config('policy:', '  max_rows_per_proposal: 1', '  tables:', '    penguins: {}'));
    const incidents = await healed(dir);
    expect(incidents.map((i) => [i.check, i.status])).toEqual([
      ['penguins.Sex.not_null', 'failed'],
      ['penguins.Sex.accepted_values', 'proposed'],
      ['penguins.Body Mass (g).not_null', 'failed'],
    ]);
    // Ten failing rows: more than twice the bound, so no plan is even tried.
    expect(incidents[0]!.reason).toBe('penguins.Sex.not_null fails on 10 rows, more than any proposal may change (policy.max_rows_per_proposal is 1)');
    expect(incidents[2]!.attempts.at(-1)!.reason).toContain('the proposal changes 2 rows, more than policy.max_rows_per_proposal (1)');
  });

  it('only the columns it lists, and no removed rows when delete_rows is false', async () => {
    const dir = repositoryWith('penguins', penguins);
    await commitConfig(dir, config('    defaults:', '      Sex: FEMALE', 'policy:', '  tables:', '    penguins: { columns: [Island], delete_rows: false }'));
    const incidents = await healed(dir);
    expect(incidents.every((incident) => incident.status === 'failed')).toBe(true);
    expect(incidents[0]!.attempts[0]!.reason).toMatch(/writes column "Sex" of penguins, which policy.tables.penguins.columns does not list \(allowed: Island\)/);
    expect(incidents[2]!.attempts.at(-1)!.reason).toMatch(/removes a row of penguins \(2 in all\), but policy.tables.penguins.delete_rows is false/);
    expect(healBranches(dir)).toEqual([]);
  });

  it('a table it does not list, or no policy at all: off limits', async () => {
    const dir = repositoryWith('penguins', penguins);
    await commitConfig(dir, config());
    const [first] = await healed(dir);
    expect(first).toMatchObject({ status: 'failed', attempts: [] });
    expect(first!.reason).toBe('dgit.yml has no policy, so the healer may change no table (list penguins under policy.tables to allow it)');
    await commitConfig(dir, config('policy:', '  tables: {}'));
    expect((await healed(dir))[0]!.reason).toBe('table penguins is not listed under policy.tables, so the healer may not change it');
    expect(healBranches(dir)).toEqual([]);
  });

  it('every offered proposal keeps within its bounds', async () => {
    const dir = repositoryWith('penguins', penguins);
    await commitConfig(dir, config('    defaults:', '      Sex: UNKNOWN', 'policy:', '  max_rows_per_proposal: 10', '  tables:', '    penguins: { max_rows: 10 }'));
    for (const incident of await healed(dir)) {
      if (incident.status !== 'proposed') continue;
      expect(incident.rows_changed).toBeLessThanOrEqual(10);
      const diff = JSON.parse(run(dir, 'diff', 'main', incident.branch!, '--table', 'penguins', '--stat', '--json')) as { tables: Array<{ summary: Record<string, number> }> };
      const summary = diff.tables[0]!.summary;
      expect(summary['added']! + summary['deleted']! + summary['modified']!).toBe(incident.rows_changed);
    }
  });
});

describe('the re-check', () => {
  it('does not offer a fix that fixes one check but breaks another; the next strategy is offered instead', async () => {
    const dir = repositoryWith('penguins', penguins);
    // "." is accepted here, so accepted_values passes; filling nulls with UNKNOWN would break it.
    await commitConfig(
      dir,
      yaml(
        'version: 1',
        'tables:',
        '  penguins:',
        '    checks:',
        '      - { kind: not_null, column: Sex }',
        '      - { kind: accepted_values, column: Sex, values: [MALE, FEMALE, "."] }',
        '    defaults:',
        '      Sex: UNKNOWN',
        'policy:',
        '  tables:',
        '    penguins: {}',
      ),
    );
    const [incident] = await healed(dir);
    expect(incident!.attempts[0]).toMatchObject({ strategy: 'fill-default', offered: false });
    expect(incident!.attempts[0]!.reason).toMatch(/^not offered: it breaks penguins\.Sex\.accepted_values, which passed: 10 rows whose Sex is not one of the 3 accepted values$/);
    expect(incident).toMatchObject({ status: 'proposed', strategy: 'quarantine' });
    expect(run(dir, 'check', incident!.branch!)).toContain('all 2 checks passed');
  });

  it('when no strategy passes the re-check, nothing is offered and the incident records why', async () => {
    const dir = repositoryWith('penguins', penguins);
    await commitConfig(
      dir,
      yaml(
        'version: 1',
        'tables:',
        '  penguins:',
        '    checks:',
        '      - { kind: not_null, column: Sex }',
        '      - { kind: accepted_values, column: Sex, values: [MALE, FEMALE, "."] }',
        '      - { kind: row_count, min: 344 }',
        '    defaults:',
        '      Sex: UNKNOWN',
        'policy:',
        '  tables:',
        '    penguins: {}',
      ),
    );
    const snapshotRefs = () => repositorySnapshot(dir).split('\n').filter((line) => line.startsWith('refs/heads')).join('\n');
    const refs = snapshotRefs();
    const [incident] = await healed(dir);
    expect(incident).toMatchObject({ status: 'failed', outcome: 'failed', branch: null });
    expect(incident!.reason).toMatch(/fill-default: not offered: it breaks penguins\.Sex\.accepted_values/);
    expect(incident!.reason).toMatch(/quarantine: not offered: it breaks penguins\.row_count/);
    expect(snapshotRefs()).toBe(refs);
  });
});

describe('healing twice', () => {
  it('finds the same incidents, reports the existing proposals and creates no branch', async () => {
    const dir = repositoryWith('penguins', penguins);
    await commitConfig(dir, config('policy:', '  tables:', '    penguins: {}'));
    const first = await healed(dir);
    const snapshot = repositorySnapshot(dir);
    const second = JSON.parse(healCliOk(dir, 'heal', '--json')) as { incidents: HealIncident[] };
    expect(second.incidents.map((i) => [i.incident, i.status, i.branch])).toEqual(first.map((i) => [i.incident, 'existing', i.branch]));
    expect(repositorySnapshot(dir)).toBe(snapshot);
    expect(healCliOk(dir, 'heal')).toContain('already proposed');
  });

  it('exits 1 when a failing check gets no proposal', async () => {
    const dir = repositoryWith('penguins', penguins);
    await commitConfig(dir, config());
    const result = healCli(dir, 'heal');
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('no proposal');
    expect(result.stdout).toContain('dgit.yml has no policy');
  });
});
