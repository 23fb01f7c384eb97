import { describe, expect, it } from 'vitest';
import { heal } from '../../engine/heal/index.js';
import { acceptIncident, checkHistory, INCIDENT_COLUMNS, INCIDENT_LOG_REF, INCIDENTS_TABLE, listIncidents, readIncidentLog, recordIncidentOutcome, type Incident } from '../../engine/incidents/index.js';
import { incidentToRow } from '../../engine/incidents/incident.js';
import { Repository } from '../../engine/repository/repository.js';
import { DGIT_IDENTITY } from '../../engine/repository/git-identity.js';
import { createTableSchema } from '../../engine/schema/schema.js';
import type { CommitId } from '../../engine/store/revision.js';
import { applyEdits } from '../../engine/table/apply-edits.js';
import { GitChunkStore } from '../../engine/table/git-chunk-store.js';
import { EMPTY_TREE, withTableTree } from '../../engine/table/root-tree.js';
import { writeTableTree } from '../../engine/table/table-tree.js';
import { commitConfig, load, penguins, repositoryWith, run, yaml } from '../heal/support/heal-fixtures.js';

/**
 * Failures are not forgotten: a check that fails again while its incident is open
 * (no fix merged, nothing accepted) continues that incident rather than opening
 * another; a new incident opens only once the last one closed. On penguins, whose
 * ten birds with no Sex fail a not_null check.
 */

const NO_POLICY = yaml('version: 1', 'tables:', '  penguins:', '    checks:', '      - { kind: not_null, column: Sex }');
const WITH_POLICY = NO_POLICY + yaml('policy:', '  tables:', '    penguins: {}');

/** A bird that arrives with no Sex, under a new id. */
function unsexed(id: number): Record<string, unknown> {
  return { ...penguins[0]!, id, Sex: null };
}

async function incidentsOf(repository: Repository, check: string) {
  return (await listIncidents(repository)).filter((incident) => incident.check === check);
}

describe('an open incident', () => {
  it('is continued by every later failure of its check until its fix is merged; only then does a new one open', async () => {
    const dir = repositoryWith('penguins', penguins);
    const first = await commitConfig(dir, NO_POLICY);
    const repository = await Repository.open(dir);
    const check = 'penguins.Sex.not_null';

    // No policy: no fix can be offered, the incident is open (failed).
    const [opened] = (await heal(repository)).incidents;
    expect(opened).toMatchObject({ status: 'failed', first_seen: first, seen: 1 });

    // Another load while it is red: the same incident, seen at a second revision, with the new counts.
    const second = await load(dir, 'penguins', [unsexed(900)]);
    const [again] = (await heal(repository)).incidents;
    expect(again).toMatchObject({ incident: opened!.incident, status: 'failed', first_seen: first, seen: 2, failing_rows: 11 });
    expect(await incidentsOf(repository, check)).toEqual([
      expect.objectContaining({ id: opened!.incident, first_seen: first, last_seen: second, seen: 2, failing_count: 11, outcome: 'failed' }),
    ]);

    // Healing the same revision again counts nothing twice.
    expect((await heal(repository)).incidents[0]).toMatchObject({ incident: opened!.incident, status: 'existing', seen: 2 });

    // The policy now lets the healer act: the fix of the same incident goes on heal/<id>.
    await commitConfig(dir, WITH_POLICY);
    const [fixed] = (await heal(repository)).incidents;
    expect(fixed).toMatchObject({ incident: opened!.incident, status: 'proposed', branch: `heal/${opened!.incident}`, first_seen: first, seen: 3 });
    const proposal = await repository.branchHead(fixed!.branch!);

    // It fails again while that fix waits: no second fix, the waiting branch untouched, the failure recorded.
    const fourth = await load(dir, 'penguins', [unsexed(901)]);
    const [waiting] = (await heal(repository)).incidents;
    expect(waiting).toMatchObject({ incident: opened!.incident, status: 'existing', outcome: 'proposed', branch: fixed!.branch, seen: 4 });
    expect(waiting!.reason).toContain(`its fix waits on ${fixed!.branch}`);
    expect(await repository.branchHead(fixed!.branch!)).toBe(proposal);
    expect((await repository.refs.listBranches()).filter((name) => name.startsWith('heal/'))).toEqual([fixed!.branch]);
    expect(await incidentsOf(repository, check)).toEqual([
      expect.objectContaining({ id: opened!.incident, outcome: 'proposed', first_seen: first, last_seen: fourth, seen: 4, fix_branch: fixed!.branch, source: 'log' }),
    ]);

    // The fix lands (bird 901 still has no Sex): merged, closed, though the log noted a later failure while it waited.
    run(dir, 'merge', fixed!.branch!);
    expect(await incidentsOf(repository, check)).toEqual([expect.objectContaining({ id: opened!.incident, outcome: 'merged', source: 'main' })]);
    const [next] = (await heal(repository)).incidents;
    expect(next!.incident).not.toBe(opened!.incident);
    expect(next).toMatchObject({ status: 'proposed', seen: 1, failing_rows: 1, first_seen: await repository.resolve('main') });
    expect(next!.previous).toEqual([expect.objectContaining({ incident: opened!.incident, outcome: 'merged', strategy: 'quarantine', fix_branch: fixed!.branch })]);
  });

  it('after its fix was rejected gets a new fix on heal/<id>-<revision>, the rejected branch kept and the rejection remembered', async () => {
    const dir = repositoryWith('penguins', penguins);
    await commitConfig(dir, NO_POLICY + yaml('    defaults:', '      Sex: UNKNOWN', 'policy:', '  tables:', '    penguins: {}'));
    const repository = await Repository.open(dir);
    const [first] = (await heal(repository)).incidents;
    expect(first!.strategy).toBe('fill-default');
    const rejectedHead = await repository.branchHead(first!.branch!);
    await recordIncidentOutcome(repository, first!.branch!, 'rejected', 'reviewer: do not invent sexes');

    const revision = await load(dir, 'penguins', [unsexed(900)]);
    const [second] = (await heal(repository)).incidents;
    expect(second).toMatchObject({ incident: first!.incident, status: 'proposed', strategy: 'quarantine', branch: `heal/${first!.incident}-${revision.slice(0, 10)}`, seen: 2 });
    expect(second!.attempts.map((attempt) => attempt.strategy)).toEqual(['quarantine']);
    expect(await repository.branchHead(first!.branch!)).toBe(rejectedHead);
    const [state] = await incidentsOf(repository, 'penguins.Sex.not_null');
    expect(state).toMatchObject({ id: first!.incident, outcome: 'proposed', fix_branch: second!.branch, earlier_fixes: [{ fix_branch: first!.branch, strategy: 'fill-default', outcome: 'rejected', reason: 'reviewer: do not invent sexes' }] });
    // The rejection outlives the incident's new state.
    expect(checkHistory(await listIncidents(repository), 'penguins.Sex.not_null').rejected.map((incident) => incident.strategy)).toEqual(['fill-default']);
  });

  it('once accepted is closed: the next failure opens a new incident', async () => {
    const dir = repositoryWith('penguins', penguins);
    await commitConfig(dir, NO_POLICY);
    const repository = await Repository.open(dir);
    const [first] = (await heal(repository)).incidents;
    await acceptIncident(repository, first!.incident, 'these birds were never sexed', 'Ana <ana@example.com>');
    await load(dir, 'penguins', [unsexed(900)]);
    const [second] = (await heal(repository)).incidents;
    expect(second!.incident).not.toBe(first!.incident);
    expect(second).toMatchObject({ seen: 1, previous: [expect.objectContaining({ incident: first!.incident, outcome: 'accepted' })] });
  });
});

describe('an incident table written before reopening', () => {
  it('reads without last_seen, seen and earlier_fixes (seen once, at first_seen), and its open incident is continued', async () => {
    const dir = repositoryWith('penguins', penguins);
    const first = await commitConfig(dir, NO_POLICY);
    const repository = await Repository.open(dir);
    const [opened] = (await heal(repository)).incidents;
    const [stored] = await readIncidentLog(repository);

    // Replace the log with one whose table has the columns of an older dgit only.
    const added = new Set(['last_seen', 'seen', 'earlier_fixes']);
    const schema = createTableSchema(
      INCIDENT_COLUMNS.filter((column) => !added.has(column.name)).map((column) => ({ name: column.name, type: column.type, nullable: column.nullable })),
      ['id'],
    );
    const head = (await repository.refs.resolve(INCIDENT_LOG_REF)) as CommitId;
    const tx = repository.store.transaction();
    const chunks = new GitChunkStore(repository.store, tx);
    const applied = await applyEdits(schema, { chunks: [] }, { upserts: [incidentToRow(stored as Incident, schema)], deletes: [] }, { reader: chunks, writer: chunks });
    const tree = await withTableTree(repository.store, tx, EMPTY_TREE, INCIDENTS_TABLE, writeTableTree({ schema, manifest: applied.manifest }, tx));
    const signature = await repository.signature(undefined, 'COMMITTER', DGIT_IDENTITY);
    const old = repository.writeCommit(tx, { tree, parents: [], author: signature, committer: signature, message: 'incidents of an older dgit' });
    tx.commit();
    await repository.refs.compareAndSwap(INCIDENT_LOG_REF, head, old);
    const oldTable = await repository.readTable((await repository.readCommit(old)).tree, INCIDENTS_TABLE);
    expect(oldTable!.schema.columns.map((column) => column.name)).not.toContain('seen');

    expect(await readIncidentLog(repository)).toEqual([expect.objectContaining({ id: opened!.incident, first_seen: first, last_seen: first, seen: 1, earlier_fixes: [] })]);
    const second = await load(dir, 'penguins', [unsexed(900)]);
    const [again] = (await heal(repository)).incidents;
    expect(again).toMatchObject({ incident: opened!.incident, seen: 2, first_seen: first });
    expect(await readIncidentLog(repository)).toEqual([expect.objectContaining({ id: opened!.incident, first_seen: first, last_seen: second, seen: 2 })]);
  });
});
