import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runChecks } from '../../engine/checks/index.js';
import { createBranch, switchBranch } from '../../engine/commands/branch.js';
import { commit } from '../../engine/commands/commit.js';
import { runSql } from '../../engine/commands/sql.js';
import { heal } from '../../engine/heal/index.js';
import { approveProposal, mayLandUnreviewed, requiresReview } from '../../engine/heal/review.js';
import { acceptIncident, listIncidents } from '../../engine/incidents/index.js';
import { addToQueue, runQueue } from '../../engine/queue/index.js';
import { parseConfig } from '../../engine/config/index.js';
import { Repository } from '../../engine/repository/repository.js';
import { DATA } from '../support/cli.js';
import { commitConfig, load, repositoryWith, yaml } from './support/heal-fixtures.js';

/**
 * A proposal marked for review (reverting a partial load's deletes) lands through
 * the merge queue only after a person approved it, unless the policy says
 * otherwise; a person can instead accept the new state, recorded in the incident.
 */

type Row = Record<string, unknown>;
const airports = fs
  .readFileSync(path.join(DATA, 'airports.csv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1, 201)
  .map((line, index) => ({ id: index + 1, iata: line.split(',')[0], name: line.split(',')[1] }) as Row);

const config = (landUnreviewed: boolean) =>
  yaml('version: 1', 'tables:', '  airports:', '    checks:', '      - { kind: row_count, max_change: "10%" }', 'policy:', `  land_unreviewed: ${landUnreviewed}`, '  tables:', '    airports: {}');

async function partialLoad(landUnreviewed: boolean): Promise<Repository> {
  const dir = repositoryWith('airports', airports);
  await commitConfig(dir, config(landUnreviewed));
  await load(dir, 'airports', airports.slice(0, 80), 'replace', 'partial load');
  return Repository.open(dir);
}

describe('proposals marked for review', () => {
  it('the rule: marked proposals need a review unless the policy lets them land', () => {
    const marked = 'heal: x\n\ndgit-review: required\n';
    expect(requiresReview(marked)).toBe(true);
    expect(requiresReview('heal: x\n')).toBe(false);
    expect(mayLandUnreviewed(marked, undefined)).toBe(false);
    expect(mayLandUnreviewed(marked, parseConfig(config(false)))).toBe(false);
    expect(mayLandUnreviewed(marked, parseConfig(config(true)))).toBe(true);
    expect(mayLandUnreviewed('heal: x\n', undefined)).toBe(true);
  });

  it('the merge queue does not land a revert of a partial load until a person approved that head', async () => {
    const repository = await partialLoad(false);
    const incident = (await heal(repository)).incidents[0]!;
    expect(incident).toMatchObject({ strategy: 'revert-deletes', review_required: true });
    await addToQueue(repository, incident.branch!);
    const first = await runQueue(repository);
    expect(first.outcomes[0]).toMatchObject({ outcome: 'failed' });
    expect(first.outcomes[0]!.reason).toContain('is marked for review (dgit-review: required) and no person approved it');
    expect((await runChecks(repository, 'main')).passed).toBe(false);

    await approveProposal(repository, incident.branch!);
    await addToQueue(repository, incident.branch!);
    const second = await runQueue(repository);
    expect(second.outcomes[0]).toMatchObject({ outcome: 'merged' });
    expect((await runChecks(repository, 'main')).passed).toBe(true);
  });

  it('commits added after the approval, or the marked commit under another name, need a review of their own', async () => {
    const repository = await partialLoad(false);
    const incident = (await heal(repository)).incidents[0]!;
    const marked = (await repository.branchHead(incident.branch!))!;
    const approved = await approveProposal(repository, incident.branch!);
    expect(approved).toBe(marked);
    // Then somebody pushes to the approved branch: a rename nobody reviewed.
    await switchBranch(repository, incident.branch!);
    await runSql(repository, "UPDATE airports SET name = 'EVIL' WHERE id = 1");
    const topped = (await commit(repository, { message: 'on top' })).commit;
    await switchBranch(repository, 'main');
    await addToQueue(repository, incident.branch!);
    const afterPush = await runQueue(repository);
    expect(afterPush.outcomes[0]).toMatchObject({ outcome: 'failed' });
    expect(afterPush.outcomes[0]!.reason).toContain(`holds a commit marked for review (${marked.slice(0, 12)}) (dgit-review: required) and a person approved it at ${marked.slice(0, 12)}, and 1 commit was added since, which nobody approved`);
    // The same commits under a branch of another name: nobody approved that one.
    await createBranch(repository, 'renamed', topped);
    await addToQueue(repository, 'renamed');
    expect((await runQueue(repository)).outcomes[0]!.reason).toContain('renamed holds a commit marked for review');
    expect((await runChecks(repository, 'main')).passed).toBe(false);
    // Approving the new head covers every commit under it.
    await approveProposal(repository, incident.branch!);
    await addToQueue(repository, incident.branch!);
    expect((await runQueue(repository)).outcomes[0]).toMatchObject({ outcome: 'merged' });
    expect(await repository.branchHead('main')).toBe(topped);
  });

  it('lands unreviewed when the policy says land_unreviewed: true', async () => {
    const repository = await partialLoad(true);
    const incident = (await heal(repository)).incidents[0]!;
    await addToQueue(repository, incident.branch!);
    expect((await runQueue(repository)).outcomes[0]).toMatchObject({ outcome: 'merged' });
  });
});

describe('accepting the new state', () => {
  it('is recorded in the incident with who and why, and the row_count check then compares with the accepted revision', async () => {
    const repository = await partialLoad(false);
    const incident = (await heal(repository)).incidents[0]!;
    const accepted = await acceptIncident(repository, incident.incident, 'the other airports closed', 'Ana <ana@example.com>');
    expect(accepted).toMatchObject({ outcome: 'accepted', accepted_by: 'Ana <ana@example.com>', reason: 'accepted: the other airports closed' });
    expect((await listIncidents(repository)).find((i) => i.id === incident.incident)).toMatchObject({ outcome: 'accepted', accepted_by: 'Ana <ana@example.com>' });
    expect((await runChecks(repository, 'main')).passed).toBe(true);
    await expect(acceptIncident(repository, incident.incident, 'again')).rejects.toThrow(/closed already/);
    await expect(acceptIncident(repository, 'nope', 'x')).rejects.toThrow(/incident "nope"/);
  });
});
