import { beforeAll, describe, expect, it } from 'vitest';
import { AmbiguousMergeError, merge, mergeBases } from '../../engine/commands/merge.js';
import { buildCandidate } from '../../engine/queue/index.js';
import { Repository } from '../../engine/repository/repository.js';
import type { CommitId } from '../../engine/store/revision.js';
import { gitOut, tempDir } from '../support/cli.js';
import { dgitIn, dgitInOk } from '../cli/in-process.js';

beforeAll(() => {
  Object.assign(process.env, { GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@example.com' });
});

/**
 * A criss-cross history: main and B each merged the other's first commit, so they
 * have two merge bases. When the two sides settled the earlier conflict the same
 * way, merging from either base gives one result, and the merge goes ahead; when
 * they settled it differently (x = 1 on main, 2 on B), the result depends on the
 * base taken, and dgit refuses, where it used to keep the merging side's value
 * without a word (git reports a conflict there).
 */
async function crissCross(bKeeps: 'ours' | 'theirs'): Promise<{ dir: string; repository: Repository }> {
  const dir = tempDir();
  await dgitInOk(dir, 'init');
  await dgitInOk(dir, 'sql', 'CREATE TABLE t (id BIGINT PRIMARY KEY, x BIGINT, y BIGINT)');
  await dgitInOk(dir, 'sql', 'INSERT INTO t VALUES (1, 0, 0), (2, 0, 0)');
  await dgitInOk(dir, 'commit', '-m', 'base');
  await dgitInOk(dir, 'branch', 'B');
  await dgitInOk(dir, 'sql', 'UPDATE t SET x = 1 WHERE id = 1');
  await dgitInOk(dir, 'commit', '-m', 'A1');
  gitOut(dir, 'tag', 'A1');
  await dgitInOk(dir, 'switch', 'B');
  await dgitInOk(dir, 'sql', 'UPDATE t SET x = 2 WHERE id = 1');
  await dgitInOk(dir, 'commit', '-m', 'B1');
  gitOut(dir, 'tag', 'B1');
  await dgitInOk(dir, 'switch', 'main');
  expect((await dgitIn(dir, 'merge', 'B1', '-m', 'A2')).stdout).toContain('conflict');
  await dgitInOk(dir, 'resolve', 't', '--ours');
  await dgitInOk(dir, 'merge', '--continue');
  await dgitInOk(dir, 'switch', 'B');
  expect((await dgitIn(dir, 'merge', 'A1', '-m', 'B2')).stdout).toContain('conflict');
  await dgitInOk(dir, 'resolve', 't', bKeeps === 'ours' ? '--ours' : '--theirs');
  await dgitInOk(dir, 'merge', '--continue');
  // Later, unrelated edits on each side.
  await dgitInOk(dir, 'sql', 'UPDATE t SET y = 7 WHERE id = 2');
  await dgitInOk(dir, 'commit', '-m', 'B3');
  await dgitInOk(dir, 'switch', 'main');
  return { dir, repository: await Repository.open(dir) };
}

describe('criss-cross merges', () => {
  it('are refused when the merge bases conflict and give different results, and nothing changes', async () => {
    const { dir, repository } = await crissCross('ours');
    const [main, b] = [(await repository.branchHead('main'))!, (await repository.branchHead('B'))!] as CommitId[];
    expect(await mergeBases(repository, main!, b!)).toHaveLength(2);
    const before = gitOut(dir, 'for-each-ref');
    await expect(merge(repository, 'B')).rejects.toThrow(AmbiguousMergeError);
    await expect(merge(repository, 'B')).rejects.toThrow(/have 2 merge bases \(a criss-cross history: .*\), and merging from each gives a different result in table t/);
    expect(gitOut(dir, 'for-each-ref')).toBe(before);
    expect(await repository.mergeInProgress('main')).toBeUndefined();
    // The queue takes it as a conflict for a person, not as a crash or a silent pick.
    const built = await buildCandidate(repository, main, [{ id: 1, branch: 'B', head: b! }], 'main');
    expect(built).toMatchObject({ kind: 'conflict', index: 0 });
    expect(built.kind === 'conflict' && built.reason).toContain('merging from each gives a different result in table t');
  });

  it('merge from a virtual base when the bases merge cleanly: each side’s own change counts once', async () => {
    // A1 sets x, B1 sets y; each branch merges the other's (cleanly); then main sets x = 2 and B sets y = 2.
    // From either base alone one cell looks changed on both sides; from the bases merged (x = 1, y = 1) it is clean.
    const dir = tempDir();
    await dgitInOk(dir, 'init');
    await dgitInOk(dir, 'sql', 'CREATE TABLE t (id BIGINT PRIMARY KEY, x BIGINT, y BIGINT)');
    await dgitInOk(dir, 'sql', 'INSERT INTO t VALUES (1, 0, 0)');
    await dgitInOk(dir, 'commit', '-m', 'base');
    await dgitInOk(dir, 'branch', 'B');
    await dgitInOk(dir, 'sql', 'UPDATE t SET x = 1');
    await dgitInOk(dir, 'commit', '-m', 'A1');
    gitOut(dir, 'tag', 'A1');
    await dgitInOk(dir, 'switch', 'B');
    await dgitInOk(dir, 'sql', 'UPDATE t SET y = 1');
    await dgitInOk(dir, 'commit', '-m', 'B1');
    gitOut(dir, 'tag', 'B1');
    await dgitInOk(dir, 'switch', 'main');
    await dgitInOk(dir, 'merge', 'B1', '-m', 'A2');
    await dgitInOk(dir, 'switch', 'B');
    await dgitInOk(dir, 'merge', 'A1', '-m', 'B2');
    await dgitInOk(dir, 'sql', 'UPDATE t SET y = 2');
    await dgitInOk(dir, 'commit', '-m', 'B3');
    await dgitInOk(dir, 'switch', 'main');
    await dgitInOk(dir, 'sql', 'UPDATE t SET x = 2');
    await dgitInOk(dir, 'commit', '-m', 'A3');
    const repository = await Repository.open(dir);
    expect(await mergeBases(repository, (await repository.branchHead('main')) as CommitId, (await repository.branchHead('B')) as CommitId)).toHaveLength(2);
    expect(await merge(repository, 'B', { message: 'final' })).toMatchObject({ status: 'merged' });
    expect(await dgitInOk(dir, 'sql', 'SELECT id, x, y FROM t', '--format', 'csv')).toBe('id,x,y\n1,2,2\n');
  });

  it('merge when every base gives the same result', async () => {
    const { repository } = await crissCross('theirs');
    const outcome = await merge(repository, 'B', { message: 'final' });
    expect(outcome.status).toBe('merged');
    const rows = await dgitInOk(repository.dir, 'sql', 'SELECT id, x, y FROM t ORDER BY id', '--format', 'csv');
    expect(rows).toBe('id,x,y\n1,1,0\n2,0,7\n');
  });
});
