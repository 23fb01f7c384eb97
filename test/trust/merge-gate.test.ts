import { describe, expect, it } from 'vitest';
import { commit } from '../../engine/commands/commit.js';
import { abortMerge, continueMerge, merge } from '../../engine/commands/merge.js';
import { runSql } from '../../engine/commands/sql.js';
import { status } from '../../engine/commands/status.js';
import { baseRow, commitOnBranch, queueRepository } from '../queue/queue-fixtures.js';
import { dgit, repositorySnapshot } from '../support/cli.js';

/** Main and a branch each give a different row the code c1 (row 1 has it): each side alone is green, the merge breaks `unique`. */
async function duplicateCodeMerge() {
  const fixture = await queueRepository(4);
  const base = (await fixture.repository.branchHead('main'))!;
  await runSql(fixture.repository, "UPDATE t SET score = 50 WHERE id = 4");
  await commit(fixture.repository, { message: 'ours' });
  await commitOnBranch(fixture.repository, 'dup', { upsert: [{ ...baseRow(3), code: 'c2' }] }, { from: base });
  await commitOnBranch(fixture.repository, 'fine', { upsert: [{ ...baseRow(3), score: 1 }] }, { from: base });
  return fixture;
}

describe('merge runs the error-level checks on the result before committing', () => {
  it('refuses a clean merge that breaks unique, lists the check, and keeps the merge in progress', async () => {
    const { repository } = await duplicateCodeMerge();
    const head = await repository.branchHead('main');
    const outcome = await merge(repository, 'dup');
    expect(outcome).toMatchObject({ status: 'blocked', failing: ['t.code.unique'] });
    expect(outcome.status === 'blocked' && outcome.reason).toContain('t.code.unique');
    expect(await repository.branchHead('main')).toBe(head);
    const report = await status(repository);
    expect(report.merge).toMatchObject({ theirs: 'dup' });
    expect(report.merge?.blockedBy).toContain('t.code.unique');
    // --continue runs the gate again: still red.
    expect(await continueMerge(repository)).toMatchObject({ status: 'blocked' });
    expect(await repository.branchHead('main')).toBe(head);
  });

  it('the user fixes the data and --continue commits; or --no-verify commits anyway; or --abort restores', async () => {
    let { repository } = await duplicateCodeMerge();
    await merge(repository, 'dup');
    await runSql(repository, "UPDATE t SET code = 'c3' WHERE id = 3");
    expect(await continueMerge(repository)).toMatchObject({ status: 'merged' });

    ({ repository } = await duplicateCodeMerge());
    await merge(repository, 'dup');
    const forced = await continueMerge(repository, { noVerify: true });
    expect(forced.status).toBe('merged');
    expect((await repository.readCommit(await repository.resolve('main'))).parents).toHaveLength(2);

    const fixture = await duplicateCodeMerge();
    // Refs, state and config as before (the merge's objects stay, unreferenced, as git's do).
    const refsAndState = () => repositorySnapshot(fixture.dir).split('\n').filter((line) => !line.startsWith('objects/')).join('\n');
    const before = refsAndState();
    await merge(fixture.repository, 'dup');
    await abortMerge(fixture.repository);
    expect(refsAndState()).toBe(before);
  });

  it('merge --no-verify commits without the checks; a merge that breaks nothing commits', async () => {
    const { repository } = await duplicateCodeMerge();
    expect(await merge(repository, 'fine')).toMatchObject({ status: 'merged' });
    expect(await merge(repository, 'dup', { noVerify: true })).toMatchObject({ status: 'merged' });
  });

  it('on a red main, a merge that makes no check worse commits; one that makes a check worse is refused', async () => {
    const { repository } = await queueRepository(4);
    const base = (await repository.branchHead('main'))!;
    // Main goes red outside any gate: a null score.
    await runSql(repository, 'UPDATE t SET score = NULL WHERE id = 1');
    await commit(repository, { message: 'red main' });
    await commitOnBranch(repository, 'unrelated', { upsert: [{ ...baseRow(4), score: 9 }] }, { from: base });
    await commitOnBranch(repository, 'worse', { upsert: [{ ...baseRow(2), score: null }] }, { from: base });
    expect(await merge(repository, 'unrelated')).toMatchObject({ status: 'merged' });
    expect(await merge(repository, 'worse')).toMatchObject({ status: 'blocked', failing: ['t.score.not_null'] });
  });

  it('the CLI: merge exits 1 listing the check and the ways on, --continue --no-verify commits, fsck is clean', async () => {
    const { dir } = await duplicateCodeMerge();
    const blocked = dgit(dir, 'merge', 'dup');
    expect(blocked.code).toBe(1);
    expect(blocked.stdout).toContain('t.code.unique');
    expect(blocked.stdout).toContain('dgit merge --continue --no-verify');
    expect(dgit(dir, 'merge', '--continue', '--no-verify').code).toBe(0);
    const fsck = dgit(dir, 'fsck', '--json');
    expect(fsck.code).toBe(0);
    expect(JSON.parse(fsck.stdout)).toMatchObject({ ok: true, problems: [] });
  });

  it('a fast-forward onto data that fails a check is refused and changes nothing; --no-verify and a green branch fast-forward', async () => {
    const fixture = await queueRepository(4);
    const { repository } = fixture;
    const base = (await repository.branchHead('main'))!;
    await commitOnBranch(repository, 'dup', { upsert: [{ ...baseRow(3), code: 'c1' }] }, { from: base });
    await commitOnBranch(repository, 'fine', { upsert: [{ ...baseRow(3), score: 1 }] }, { from: base });
    const before = repositorySnapshot(fixture.dir);
    expect(await merge(repository, 'dup')).toMatchObject({ status: 'blocked', failing: ['t.code.unique'], fastForward: true });
    expect(await repository.branchHead('main')).toBe(base);
    expect(await repository.mergeInProgress('main')).toBeFalsy();
    expect(repositorySnapshot(fixture.dir)).toBe(before);
    const cli = dgit(fixture.dir, 'merge', 'dup');
    expect(cli.code).toBe(1);
    expect(cli.stdout).toContain('Fast-forward not done: error-level check failed on dup: t.code.unique');
    expect(cli.stdout).toContain('`dgit merge dup --no-verify`');
    expect(repositorySnapshot(fixture.dir)).toBe(before);

    expect(await merge(repository, 'fine')).toMatchObject({ status: 'fast-forward', commit: await repository.branchHead('fine') });
    await commitOnBranch(repository, 'dup-on-fine', { upsert: [{ ...baseRow(2), code: 'c1' }] }, { from: (await repository.branchHead('fine'))! });
    expect(await merge(repository, 'dup-on-fine', { noVerify: true })).toMatchObject({ status: 'fast-forward', commit: await repository.branchHead('dup-on-fine') });
  });
});
