import { describe, expect, it } from 'vitest';
import { checkCandidate, contains, listQueue, runQueue, addToQueue, type CandidateCheck } from '../../engine/queue/index.js';
import { DgitError } from '../../engine/errors/index.js';
import { baseRow, commitOnBranch, queueRepository } from './queue-fixtures.js';

/**
 * The local queue losing the race for main (the queue core's lost-race result,
 * with the local policy: rebuild on the new main, and stop the run with the entry
 * still queued once `maxRetries` rebuilds were lost too).
 */
describe('merge queue: losing the race for main', () => {
  it('a branch whose candidate lost the race is rebuilt on the new main and lands', async () => {
    const { repository } = await queueRepository();
    const head = await commitOnBranch(repository, 'feature', { upsert: [{ ...baseRow(2), score: 55 }] });
    await addToQueue(repository, 'feature');
    let moves = 0;
    // Someone commits to main while the first candidate is being checked.
    const check: CandidateCheck = async (repo, commit, onto) => {
      if (moves++ === 0) await commitOnBranch(repository, 'main', { upsert: [{ ...baseRow(9), score: 9 }] });
      return checkCandidate(repo, commit, onto);
    };
    const report = await runQueue(repository, { check });
    expect(report.tested.map((t) => t.passed)).toEqual([true, true]);
    expect(report.tested[1]!.onto).not.toBe(report.tested[0]!.onto);
    const main = (await repository.branchHead('main'))!;
    expect(await contains(repository, main, head)).toBe(true);
    expect((await listQueue(repository)).entries[0]).toMatchObject({ state: 'merged', departure: 'merged' });
  });

  it('past maxRetries lost races the run stops with a retryable error; the entry stays queued and no landing is left', async () => {
    const { repository } = await queueRepository();
    await commitOnBranch(repository, 'feature', { upsert: [{ ...baseRow(2), score: 55 }] });
    await addToQueue(repository, 'feature');
    let n = 0;
    const check: CandidateCheck = async (repo, commit, onto) => {
      await commitOnBranch(repository, 'main', { upsert: [{ ...baseRow(9), score: ++n }] });
      return checkCandidate(repo, commit, onto);
    };
    const error = await runQueue(repository, { check, maxRetries: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DgitError);
    expect((error as DgitError).code).toBe('CONCURRENT_UPDATE');
    expect((error as DgitError).message).toContain('kept moving while the queue tried to land #1');
    expect(n).toBe(2);
    const listing = await listQueue(repository);
    expect(listing.entries[0]).toMatchObject({ state: 'queued', departure: null });
    expect(listing.landing).toBeNull();
  });
});
