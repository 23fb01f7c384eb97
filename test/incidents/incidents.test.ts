import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runSql } from '../../engine/commands/sql.js';
import { heal } from '../../engine/heal/index.js';
import { INCIDENT_LOG_REF, listIncidents, recordIncidentOutcome } from '../../engine/incidents/index.js';
import { Repository } from '../../engine/repository/repository.js';
import { duck } from '../support/duckdb.js';
import { repositorySnapshot } from '../support/cli.js';
import { commitConfig, healCliOk, load, penguins, repositoryWith, run, yaml } from '../heal/support/heal-fixtures.js';

/**
 * The incident memory: `_dgit_incidents` committed with each proposal, the
 * incident log (refs/dgit/incidents) for what no branch carries, `dgit
 * incidents`, what the healer recalls, and the outcomes the merge queue records.
 */

const NULL_SEX_ROWS = penguins.filter((p) => p.Sex === null);

function notNullSex(...extra: string[]): string {
  return yaml('version: 1', 'tables:', '  penguins:', '    checks:', '      - { kind: not_null, column: Sex }', ...extra, 'policy:', '  tables:', '    penguins: {}');
}

function refsOfBranches(dir: string): string {
  return repositorySnapshot(dir)
    .split('\n')
    .filter((line) => line.startsWith('refs/heads') || line.startsWith('HEAD') || line.startsWith('dgit/working') || line.startsWith('refs/dgit/working'))
    .join('\n');
}

describe('_dgit_incidents', () => {
  it('is committed with the proposal, as a dgit table any engine reads, and travels to main with the fix', async () => {
    const dir = repositoryWith('penguins', penguins);
    await commitConfig(dir, notNullSex());
    const repository = await Repository.open(dir);
    const [incident] = (await heal(repository)).incidents;
    run(dir, 'switch', incident!.branch!);
    const rows = await duck(`SELECT id, "check", "table", kind, first_seen, failing_count, fix_branch, strategy, rows_changed, outcome FROM read_parquet('${path.join(dir, 'tables/_dgit_incidents/chunks/*/*.parquet')}')`);
    expect(rows).toEqual([
      {
        id: incident!.incident,
        check: 'penguins.Sex.not_null',
        table: 'penguins',
        kind: 'not_null',
        first_seen: (await repository.resolve('main')) as string,
        failing_count: '10',
        fix_branch: incident!.branch,
        strategy: 'quarantine',
        rows_changed: '10',
        outcome: 'proposed',
      },
    ]);
    const sample = await runSql(repository, `SELECT sample FROM _dgit_incidents`, { rev: incident!.branch! });
    expect(sample.kind === 'rows' && JSON.parse(String(sample.rows[0]!['sample']))).toEqual(NULL_SEX_ROWS.map((p) => ({ key: { id: p.id }, value: null })));
    run(dir, 'switch', 'main');
    run(dir, 'merge', incident!.branch!);
    // On main the row still says proposed: it arrived with its fix, so it reads as merged.
    expect((await listIncidents(repository))[0]).toMatchObject({ id: incident!.incident, outcome: 'merged', source: 'main', reason: 'merged into main' });
  });
});

describe('dgit incidents', () => {
  it('lists each incident once, in its latest state, from main, heal branches and the log', async () => {
    const dir = repositoryWith('penguins', penguins);
    await commitConfig(dir, yaml('version: 1', 'tables:', '  penguins:', '    checks:', '      - { kind: not_null, column: Sex }', '      - { kind: row_count, max: 10 }', 'policy:', '  tables:', '    penguins: {}'));
    const report = await heal(await Repository.open(dir));
    const listed = JSON.parse(healCliOk(dir, 'incidents', '--json')) as { incidents: Array<Record<string, unknown>> };
    expect(listed.incidents.map((i) => [i['check'], i['outcome'], i['source']]).sort()).toEqual([
      ['penguins.Sex.not_null', 'proposed', report.incidents[0]!.branch],
      ['penguins.row_count', 'failed', 'log'],
    ]);
    expect(listed.incidents.find((i) => i['check'] === 'penguins.Sex.not_null')).toMatchObject({
      id: report.incidents[0]!.incident,
      table: 'penguins',
      failing_count: 10,
      strategy: 'quarantine',
      rows_changed: 10,
      sample: expect.arrayContaining([{ key: { id: 4 }, value: null }]),
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    const text = healCliOk(dir, 'incidents');
    expect(text).toMatch(/incident\s+check\s+outcome\s+strategy\s+fix\s+rows\s+branch\s+updated/);
    expect(text).toContain('(failed): no built-in strategy fixes a row_count check');
    expect(healCliOk(dir, 'incidents', '--check', 'penguins.row_count', '--json')).not.toContain('Sex');
  });
});

describe('the memory', () => {
  it('a second failure of the same check tries the strategy that fixed it before first, and says so', async () => {
    const dir = repositoryWith('penguins', penguins);
    await commitConfig(dir, notNullSex());
    const repository = await Repository.open(dir);
    const [first] = (await heal(repository)).incidents;
    expect(first!.strategy).toBe('quarantine');
    run(dir, 'merge', first!.branch!);

    // Now a default is declared (fill-default would come first), and the same birds arrive again without a sex.
    await commitConfig(dir, notNullSex('    defaults:', '      Sex: UNKNOWN'));
    await load(dir, 'penguins', NULL_SEX_ROWS);
    const output = healCliOk(dir, 'heal');
    expect(output).toContain(`memory    quarantine fixed penguins.Sex.not_null before (incident ${first!.incident}, merged), so it is tried first`);
    expect(output).toContain('strategy  quarantine (remembered)');
    const [second] = (await heal(repository)).incidents;
    expect(second!.status).toBe('existing');
    const known = await listIncidents(repository);
    const again = known.find((i) => i.id !== first!.incident)!;
    expect(again).toMatchObject({ strategy: 'quarantine', outcome: 'proposed', check: 'penguins.Sex.not_null' });
    expect(JSON.parse(healCliOk(dir, 'heal', '--json')).incidents[0].incident).toBe(again.id);

    // The earlier incident's decided state travels with the new fix (both rows may share a created_at second).
    const carried = await runSql(repository, `SELECT id, outcome FROM _dgit_incidents ORDER BY outcome`, { rev: again.fix_branch! });
    expect(carried.kind === 'rows' && carried.rows).toEqual([
      { id: first!.incident, outcome: 'merged' },
      { id: again.id, outcome: 'proposed' },
    ]);
  });

  it('a strategy rejected before is tried last', async () => {
    const dir = repositoryWith('penguins', penguins);
    await commitConfig(dir, yaml('version: 1', 'tables:', '  penguins:', '    checks:', '      - { kind: accepted_values, column: Sex, values: [MALE, FEMALE] }', 'policy:', '  tables:', '    penguins: {}'));
    await load(dir, 'penguins', [{ ...penguins[0]!, Sex: 'male ' }]);
    const repository = await Repository.open(dir);
    const [first] = (await heal(repository)).incidents;
    expect(first!.strategy).toBe('normalize-text+quarantine');
    await recordIncidentOutcome(repository, first!.branch!, 'rejected', 'reviewer: do not guess sexes from case');

    await load(dir, 'penguins', [{ ...penguins[1]!, Sex: 'female' }]);
    const [second] = (await heal(repository)).incidents;
    expect(second!.attempts.map((a) => [a.strategy, a.offered])).toEqual([
      ['normalize-text', false],
      ['quarantine', true],
    ]);
    expect(second!.memory).toBe('normalize-text+quarantine was rejected before, so it is tried last');
  });
});

describe('recordIncidentOutcome', () => {
  it('records a rejection in the incident log, moving neither the branch nor main; the record outlives the branch', async () => {
    const dir = repositoryWith('penguins', penguins);
    await commitConfig(dir, notNullSex());
    const repository = await Repository.open(dir);
    const [incident] = (await heal(repository)).incidents;
    const branches = refsOfBranches(dir);
    const log = await repository.refs.resolve(INCIDENT_LOG_REF);

    const updated = await recordIncidentOutcome(repository, incident!.branch!, 'rejected', 'reviewer: these birds were sexed later');
    expect(updated).toEqual([expect.objectContaining({ id: incident!.incident, outcome: 'rejected', reason: 'reviewer: these birds were sexed later' })]);
    expect(refsOfBranches(dir)).toBe(branches);
    expect(await repository.refs.resolve(INCIDENT_LOG_REF)).not.toBe(log);
    expect((await listIncidents(repository))[0]).toMatchObject({ outcome: 'rejected', source: 'log' });

    run(dir, 'branch', '-D', incident!.branch!);
    expect((await listIncidents(repository))[0]).toMatchObject({ id: incident!.incident, outcome: 'rejected', fix_branch: incident!.branch });
    expect(healCliOk(dir, 'incidents')).toContain(`${incident!.incident} (rejected): reviewer: these birds were sexed later`);
    // Called again for the deleted branch (a queue retrying): the memory still knows it.
    expect(await recordIncidentOutcome(repository, incident!.branch!, 'rejected', 'again')).toHaveLength(1);
  });

  it('records a merge the queue made, and `dgit incidents --record` does the same by hand', async () => {
    const dir = repositoryWith('penguins', penguins);
    await commitConfig(dir, notNullSex());
    const repository = await Repository.open(dir);
    const [incident] = (await heal(repository)).incidents;
    run(dir, 'merge', incident!.branch!);
    await recordIncidentOutcome(repository, `refs/heads/${incident!.branch!}`, 'merged', 'queue: every check passed on the merge');
    expect((await listIncidents(repository))[0]).toMatchObject({ outcome: 'merged', reason: 'queue: every check passed on the merge', source: 'log' });
    const recorded = JSON.parse(healCliOk(dir, 'incidents', '--record', incident!.branch!, '--outcome', 'failed', '--reason', 'broke the nightly export', '--json'));
    expect(recorded.incidents[0]).toMatchObject({ outcome: 'failed', reason: 'broke the nightly export' });
  });

  it('does nothing for a branch that holds no proposal', async () => {
    const dir = repositoryWith('penguins', penguins);
    await commitConfig(dir, notNullSex());
    run(dir, 'branch', 'feature');
    const repository = await Repository.open(dir);
    const before = repositorySnapshot(dir);
    expect(await recordIncidentOutcome(repository, 'feature', 'merged', 'queue')).toEqual([]);
    expect(await recordIncidentOutcome(repository, 'heal/gone', 'rejected', 'queue')).toEqual([]);
    expect(repositorySnapshot(dir)).toBe(before);
  });
});
