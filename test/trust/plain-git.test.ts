import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resetHard, switchBranch } from '../../engine/commands/branch.js';
import { commit } from '../../engine/commands/commit.js';
import { merge } from '../../engine/commands/merge.js';
import { runSql } from '../../engine/commands/sql.js';
import { status } from '../../engine/commands/status.js';
import { DgitError } from '../../engine/errors/index.js';
import { Repository } from '../../engine/repository/repository.js';
import { baseRow, commitOnBranch, queueRepository } from '../queue/queue-fixtures.js';

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Plain', '-c', 'user.email=plain@example.com', ...args], { cwd: dir, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}

async function score(repository: Repository, id: number, rev?: string): Promise<unknown> {
  const result = await runSql(repository, `SELECT score FROM t WHERE id = ${id}`, { rev });
  return result.kind === 'rows' ? result.rows[0]?.['score'] : undefined;
}

describe('uncommitted dgit edits when plain git moves the branch', () => {
  it('git commit of an unrelated file: the edit is carried onto the new commit, and dgit commit keeps both', async () => {
    const { repository, dir } = await queueRepository(4);
    await runSql(repository, 'UPDATE t SET score = 77 WHERE id = 2');
    fs.writeFileSync(path.join(dir, 'README.md'), '# data\n');
    git(dir, 'add', 'README.md');
    git(dir, 'commit', '-q', '-m', 'readme by plain git');
    const reopened = await Repository.open(dir);
    expect((await status(reopened)).tables).toMatchObject([{ table: 't', summary: { modified: 1 } }]);
    const made = await commit(reopened, { message: 'the edit' });
    expect(await score(reopened, 2, made.commit)).toBe(77);
    expect(git(dir, 'show', `${made.commit}:README.md`)).toBe('# data\n');
  });

  it('git reset --hard to an older commit and git pull (fast-forward): the edit follows the branch', async () => {
    const { repository, dir } = await queueRepository(4);
    const first = (await repository.branchHead('main'))!;
    await runSql(repository, 'UPDATE t SET score = 5 WHERE id = 4');
    await commit(repository, { message: 'second' });
    await runSql(repository, 'UPDATE t SET score = 66 WHERE id = 1');
    git(dir, 'reset', '-q', '--hard', first);
    let reopened = await Repository.open(dir);
    expect(await score(reopened, 1)).toBe(66);
    expect(await score(reopened, 4)).toBe(baseRow(4).score);
    // A fast-forward by plain git (as `git pull` does) brings the commit back under the edit.
    const ahead = await commitOnBranch(reopened, 'upstream', { upsert: [{ ...baseRow(3), score: 33 }] });
    git(dir, 'merge', '-q', '--ff-only', 'upstream');
    reopened = await Repository.open(dir);
    expect(await reopened.branchHead('main')).toBe(ahead);
    expect([await score(reopened, 1), await score(reopened, 3)]).toEqual([66, 33]);
  });

  it('an edit that conflicts with the new commit is kept and named, with the commands that recover it', async () => {
    const { repository, dir } = await queueRepository(4);
    await runSql(repository, 'UPDATE t SET score = 1 WHERE id = 1');
    const theirs = await commitOnBranch(repository, 'other', { upsert: [{ ...baseRow(1), score: 2 }] });
    git(dir, 'reset', '-q', '--hard', theirs);
    const reopened = await Repository.open(dir);
    const error = await status(reopened).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DgitError);
    const message = (error as Error).message;
    expect(message).toContain('git branch main-uncommitted refs/dgit/working/main');
    expect(message).toContain('dgit reset --hard');
    // Following the message keeps the edit as a branch.
    git(dir, 'branch', 'main-uncommitted', 'refs/dgit/working/main');
    expect(await score(reopened, 1, 'main-uncommitted')).toBe(1);
    await resetHard(reopened);
    expect((await status(reopened)).clean).toBe(true);
    expect((await merge(reopened, 'main-uncommitted')).status).toBe('conflicts');
  });

  it('git checkout of another branch: each branch keeps its own uncommitted edits', async () => {
    const { repository, dir } = await queueRepository(4);
    await commitOnBranch(repository, 'other', {});
    await runSql(repository, 'UPDATE t SET score = 9 WHERE id = 3');
    git(dir, 'checkout', '-q', 'other');
    let reopened = await Repository.open(dir);
    expect((await status(reopened)).clean).toBe(true);
    git(dir, 'checkout', '-q', 'main');
    reopened = await Repository.open(dir);
    expect(await score(reopened, 3)).toBe(9);
    await switchBranch(reopened, 'other', { discard: true });
  });
});

describe('concurrent writers on one branch lose no update', () => {
  it('a commit racing an UPDATE: the update is committed, left in the working set, or refused as retryable', async () => {
    for (let round = 0; round < 4; round++) {
      const { repository } = await queueRepository(4);
      await runSql(repository, 'UPDATE t SET score = 10 WHERE id = 1');
      const [committed, updated] = await Promise.allSettled([
        commit(repository, { message: 'race' }),
        runSql(repository, `UPDATE t SET score = ${20 + round} WHERE id = 2`),
      ]);
      expect(committed.status).toBe('fulfilled');
      const after = await Repository.open(repository.dir);
      if (updated.status === 'fulfilled') expect(await score(after, 2)).toBe(20 + round);
      else expect(updated.reason).toMatchObject({ code: 'CONCURRENT_UPDATE', retryable: true });
      expect(await score(after, 1)).toBe(10);
    }
  });

  it('two commits at once: one wins, the other fails retryably or finds nothing left to commit; a commit and a switch never interleave', async () => {
    const { repository, dir } = await queueRepository(4);
    await runSql(repository, 'UPDATE t SET score = 3 WHERE id = 3');
    const results = await Promise.allSettled([commit(repository, { message: 'a' }), commit(repository, { message: 'b' })]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const loser = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(['CONCURRENT_UPDATE', 'NOTHING_TO_COMMIT']).toContain((loser.reason as DgitError).code);

    await commitOnBranch(repository, 'other', { upsert: [{ ...baseRow(4), score: 44 }] });
    await runSql(repository, 'UPDATE t SET score = 8 WHERE id = 1');
    await Promise.allSettled([commit(repository, { message: 'c' }), switchBranch(repository, 'other')]);
    // Whatever the order, the files mirror the branch HEAD names: git sees no change.
    expect(git(dir, 'status', '--porcelain')).toBe('');
  });
});
