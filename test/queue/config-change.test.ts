import { describe, expect, it } from 'vitest';
import { commit } from '../../engine/commands/commit.js';
import { merge } from '../../engine/commands/merge.js';
import { runSql } from '../../engine/commands/sql.js';
import { switchBranch } from '../../engine/commands/branch.js';
import { writeConfig } from '../../engine/config/repository-config.js';
import { addToQueue, listQueue, runQueue } from '../../engine/queue/index.js';
import type { Repository } from '../../engine/repository/repository.js';
import type { CommitId } from '../../engine/store/revision.js';
import { yaml } from '../checks/check-fixtures.js';
import { QUEUE_CHECKS, queueRepository, tableRows } from './queue-fixtures.js';

/** QUEUE_CHECKS without its range check on score. */
const WITHOUT_RANGE = yaml('version: 1', 'tables:', '  t:', '    checks:', '      - kind: not_null', '        column: score', '      - kind: unique', '        column: code');

/** Commit on a new branch from main: dgit.yml as `config` and the SQL statements, then go back to main. */
async function branchWith(repository: Repository, branch: string, config: string | undefined, statements: string[]): Promise<CommitId> {
  await switchBranch(repository, branch, { create: true });
  if (config !== undefined) await writeConfig(repository, config);
  for (const statement of statements) await runSql(repository, statement);
  const head = (await commit(repository, { message: branch })).commit as CommitId;
  await switchBranch(repository, 'main');
  return head;
}

describe('the queue judges a change to dgit.yml by the default branch’s checks too', () => {
  it('a branch that removes a check and breaks it in the same change is rejected, and main does not move', async () => {
    const { repository, base } = await queueRepository();
    await branchWith(repository, 'loosen', WITHOUT_RANGE, ['UPDATE t SET score = 250 WHERE id = 4']);
    await addToQueue(repository, 'loosen');
    const report = await runQueue(repository);
    expect(await repository.branchHead('main')).toBe(base);
    const [entry] = (await listQueue(repository)).entries;
    expect(entry).toMatchObject({ state: 'dequeued', outcome: 'rejected', departure: 'checks-failed' });
    expect(entry!.reason).toContain('t.score.range');
    expect(entry!.reason).toContain("the default branch's dgit.yml");
    expect(report.tested).toMatchObject([{ passed: false }]);
  });

  it('lowering the check to a warning does not let its failure in either', async () => {
    const { repository, base } = await queueRepository();
    const warned = QUEUE_CHECKS.replace('        max: 100\n', '        max: 100\n        severity: warn\n');
    expect(warned).not.toBe(QUEUE_CHECKS);
    await branchWith(repository, 'warn', warned, ['UPDATE t SET score = 250 WHERE id = 4']);
    await addToQueue(repository, 'warn');
    await runQueue(repository);
    expect(await repository.branchHead('main')).toBe(base);
    expect((await listQueue(repository)).entries[0]).toMatchObject({ outcome: 'rejected', departure: 'checks-failed' });
  });

  it('a branch that changes dgit.yml and keeps every check of main green lands, its new check with it', async () => {
    const { repository } = await queueRepository();
    const stricter = QUEUE_CHECKS.replace('        max: 100\n', '        max: 90\n');
    const head = await branchWith(repository, 'tighten', stricter, ['UPDATE t SET score = LEAST(score, 90)']);
    await addToQueue(repository, 'tighten');
    await runQueue(repository);
    expect(await repository.branchHead('main')).toBe(head);
    // Removing a check with data that still passes it lands too: nothing the default branch guards is let in.
    const removed = await branchWith(repository, 'drop-range', WITHOUT_RANGE, ['UPDATE t SET score = 5 WHERE id = 2']);
    await addToQueue(repository, 'drop-range');
    await runQueue(repository);
    expect(await repository.branchHead('main')).toBe(removed);
  });

  it('a branch that drops a column main checks is rejected with why, and lands by hand with dgit merge', async () => {
    const { repository, base } = await queueRepository();
    const noCode = yaml('version: 1', 'tables:', '  t:', '    checks:', '      - kind: not_null', '        column: score');
    await branchWith(repository, 'drop-code', noCode, ['ALTER TABLE t DROP COLUMN code']);
    await addToQueue(repository, 'drop-code');
    await runQueue(repository);
    expect(await repository.branchHead('main')).toBe(base);
    const [entry] = (await listQueue(repository)).entries;
    expect(entry).toMatchObject({ outcome: 'rejected', departure: 'checks-failed' });
    expect(entry!.reason).toMatch(/^the default branch's dgit\.yml cannot check the merged result \(.*code.*\); a change that removes what its checks read is merged by hand$/);
    const merged = await merge(repository, 'drop-code');
    expect(merged).toMatchObject({ status: 'fast-forward' });
    expect([...(await tableRows(repository, 'main')).values()][0]).not.toHaveProperty('code');
  });
});
