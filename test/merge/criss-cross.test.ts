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
/** Each `[args]` run as `dgit args` in `dir`, in order, each expected to succeed. */
async function run(dir: string, ...commands: string[][]): Promise<void> {
  for (const args of commands) await dgitInOk(dir, ...args);
}

/** t(id, x, y) with `rows` committed on main, a branch B there, then A1 on main and B1 on B (tagged), back on main. */
async function forked(rows: string, a1: string, b1: string): Promise<string> {
  const dir = tempDir();
  await run(dir, ['init'], ['sql', 'CREATE TABLE t (id BIGINT PRIMARY KEY, x BIGINT, y BIGINT)'], ['sql', `INSERT INTO t VALUES ${rows}`], ['commit', '-m', 'base'], ['branch', 'B']);
  await run(dir, ['sql', a1], ['commit', '-m', 'A1']);
  gitOut(dir, 'tag', 'A1');
  await run(dir, ['switch', 'B'], ['sql', b1], ['commit', '-m', 'B1']);
  gitOut(dir, 'tag', 'B1');
  await run(dir, ['switch', 'main']);
  return dir;
}

async function crissCross(bKeeps: 'ours' | 'theirs'): Promise<{ dir: string; repository: Repository }> {
  const dir = await forked('(1, 0, 0), (2, 0, 0)', 'UPDATE t SET x = 1 WHERE id = 1', 'UPDATE t SET x = 2 WHERE id = 1');
  expect((await dgitIn(dir, 'merge', 'B1', '-m', 'A2')).stdout).toContain('conflict');
  await run(dir, ['resolve', 't', '--ours'], ['merge', '--continue'], ['switch', 'B']);
  expect((await dgitIn(dir, 'merge', 'A1', '-m', 'B2')).stdout).toContain('conflict');
  // Then unrelated edits on B.
  await run(dir, ['resolve', 't', bKeeps === 'ours' ? '--ours' : '--theirs'], ['merge', '--continue'], ['sql', 'UPDATE t SET y = 7 WHERE id = 2'], ['commit', '-m', 'B3'], ['switch', 'main']);
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
    const dir = await forked('(1, 0, 0)', 'UPDATE t SET x = 1', 'UPDATE t SET y = 1');
    await run(dir, ['merge', 'B1', '-m', 'A2'], ['switch', 'B'], ['merge', 'A1', '-m', 'B2'], ['sql', 'UPDATE t SET y = 2'], ['commit', '-m', 'B3']);
    await run(dir, ['switch', 'main'], ['sql', 'UPDATE t SET x = 2'], ['commit', '-m', 'A3']);
    const repository = await Repository.open(dir);
    expect(await mergeBases(repository, (await repository.branchHead('main')) as CommitId, (await repository.branchHead('B')) as CommitId)).toHaveLength(2);
    expect(await merge(repository, 'B', { message: 'final' })).toMatchObject({ status: 'merged' });
    expect(await dgitInOk(dir, 'sql', 'SELECT id, x, y FROM t', '--format', 'csv')).toBe('id,x,y\n1,2,2\n');
  });

  it('a table taken whole after a virtual-base merge counts what it leaves out from that base, which git gc keeps', async () => {
    // A1 and B1 change different rows; the sides cross-merge cleanly; then B edits y in row 1 and main drops y.
    const dir = await forked('(1, 0, 0), (2, 0, 0), (3, 0, 0), (4, 0, 0)', 'UPDATE t SET x = 1 WHERE id = 3', 'UPDATE t SET y = 1 WHERE id = 4');
    // Each cross merge also edits row 2 in its merge commit, so the bases merged are no commit's tree.
    await run(dir, ['merge', 'B1', '--no-commit'], ['sql', 'UPDATE t SET x = 9 WHERE id = 2'], ['merge', '--continue', '-m', 'A2']);
    await run(dir, ['switch', 'B'], ['merge', 'A1', '--no-commit'], ['sql', 'UPDATE t SET y = 9 WHERE id = 2'], ['merge', '--continue', '-m', 'B2']);
    await run(dir, ['sql', 'UPDATE t SET y = 5 WHERE id = 1'], ['commit', '-m', 'B3']);
    await run(dir, ['switch', 'main'], ['sql', 'ALTER TABLE t DROP COLUMN y'], ['commit', '-m', 'A3']);
    expect((await dgitIn(dir, 'merge', 'B', '-m', 'final')).stdout).toContain('Conflicts in t');
    // The merge bases merged are no commit's tree: only the merge state holds them.
    gitOut(dir, 'gc', '--prune=now', '--quiet');
    const resolved = await dgitIn(dir, 'resolve', 't', '--ours', '--json');
    expect(resolved.code).toBe(0);
    // Theirs' rows 1 and 2; from either merge base alone, the other base's change would count as theirs too (3).
    expect(JSON.parse(resolved.stdout)).toMatchObject({ discarded: { side: 'theirs', added: 0, deleted: 0, modified: 2, virtualBase: true } });
    expect(resolved.stderr).toContain('counted from the merge bases of a criss-cross history merged');
    await run(dir, ['merge', '--continue']);
    expect(await dgitInOk(dir, 'sql', 'SELECT * FROM t ORDER BY id', '--format', 'csv')).toBe('id,x\n1,0\n2,9\n3,1\n4,0\n');
  });

  it('merge when every base gives the same result', async () => {
    const { repository } = await crissCross('theirs');
    const outcome = await merge(repository, 'B', { message: 'final' });
    expect(outcome.status).toBe('merged');
    const rows = await dgitInOk(repository.dir, 'sql', 'SELECT id, x, y FROM t ORDER BY id', '--format', 'csv');
    expect(rows).toBe('id,x,y\n1,1,0\n2,0,7\n');
  });
});
