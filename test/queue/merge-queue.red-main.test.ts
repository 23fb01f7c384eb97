import { describe, expect, it } from 'vitest';
import { runChecks } from '../../engine/checks/index.js';
import { addToQueue, runQueue } from '../../engine/queue/index.js';
import { baseRow, commitOnBranch, queueRepository } from './queue-fixtures.js';

/**
 * A bad load landed on main outside the queue, so main is red. No single fix makes
 * every check pass, so the queue's rule there is that main never gets worse.
 */
describe('merge queue on a red main', () => {
  async function redMain() {
    const { repository, dir } = await queueRepository();
    // outside the queue: two null scores and one out of range reach main
    await commitOnBranch(repository, 'main', { upsert: [{ ...baseRow(1), score: null }, { ...baseRow(2), score: null }, { ...baseRow(3), score: 500 }] });
    const before = await runChecks(repository, 'main');
    expect(before.passed).toBe(false);
    return { repository, dir };
  }

  it('a fix of one failing check lands although another still fails', async () => {
    const { repository } = await redMain();
    const fixed = await commitOnBranch(repository, 'fix-nulls', { upsert: [{ ...baseRow(1), score: 0 }, { ...baseRow(2), score: 0 }] });
    await addToQueue(repository, 'fix-nulls');
    const report = await runQueue(repository);
    expect(report.outcomes.map((o) => o.outcome)).toEqual(['merged']);
    expect(await repository.branchHead('main')).toBe(fixed);
    const after = await runChecks(repository, 'main');
    expect(after.results.find((r) => r.kind === 'not_null')?.passed).toBe(true);
    expect(after.results.find((r) => r.kind === 'range')?.passed).toBe(false);
  });

  it('a branch that breaks a check passing on main is dropped', async () => {
    const { repository } = await redMain();
    const head = await repository.branchHead('main');
    await commitOnBranch(repository, 'dup-code', { upsert: [{ ...baseRow(5), code: 'c6' }] });
    await addToQueue(repository, 'dup-code');
    const report = await runQueue(repository);
    expect(report.outcomes[0]).toMatchObject({ outcome: 'rejected' });
    expect(report.outcomes[0]!.reason).toMatch(/unique/);
    expect(await repository.branchHead('main')).toBe(head);
  });

  it('a branch that makes a failing check fail more rows is dropped', async () => {
    const { repository } = await redMain();
    const head = await repository.branchHead('main');
    await commitOnBranch(repository, 'more-nulls', { upsert: [{ ...baseRow(7), score: null }] });
    await addToQueue(repository, 'more-nulls');
    const report = await runQueue(repository);
    expect(report.outcomes[0]).toMatchObject({ outcome: 'rejected' });
    expect(report.outcomes[0]!.reason).toMatch(/not_null/);
    expect(await repository.branchHead('main')).toBe(head);
  });
});
