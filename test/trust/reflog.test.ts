import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createBranch, deleteBranch, resetHard, switchBranch } from '../../engine/commands/branch.js';
import { commit } from '../../engine/commands/commit.js';
import { importTable } from '../../engine/commands/import.js';
import { runSql } from '../../engine/commands/sql.js';
import { Repository } from '../../engine/repository/repository.js';
import { tempDir, writeFile } from '../support/cli.js';

const author = { name: 'Test', email: 'test@example.com' };

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: dir, encoding: 'utf8', env: { ...process.env, GIT_COMMITTER_NAME: 'Rita Reflog', GIT_COMMITTER_EMAIL: 'rita@example.com' } }).trim();
}

async function repositoryWithTwoCommits(): Promise<{ dir: string; repository: Repository; first: string; second: string }> {
  const dir = tempDir('dgit-reflog-');
  const { repository } = await Repository.init(dir);
  await importTable(repository, writeFile(tempDir(), 't.csv', 'id,v\n1,a\n2,b\n'), { table: 't', key: ['id'] });
  await commit(repository, { message: 'first load', author });
  await runSql(repository, "UPDATE t SET v = 'B' WHERE id = 2");
  await commit(repository, { message: 'fix b\n\nwith a body', author });
  return { dir, repository, first: git(dir, 'rev-parse', 'main~1'), second: git(dir, 'rev-parse', 'main') };
}

describe("dgit's ref moves are in git's reflog", () => {
  it('a commit dropped by reset --hard is found again with main@{1} and survives git gc --prune=now', async () => {
    const { dir, repository, first, second } = await repositoryWithTwoCommits();
    await resetHard(repository, 'HEAD~1');
    expect(git(dir, 'rev-parse', 'main')).toBe(first);
    expect(git(dir, 'rev-parse', 'main@{1}')).toBe(second);
    expect(git(dir, 'reflog', 'show', '--format=%gs', 'main').split('\n')).toEqual(['reset: moving to HEAD~1', 'commit: fix b', 'commit (initial): first load']);
    // HEAD's log follows the branch it names.
    expect(git(dir, 'reflog', 'show', '--format=%gs', 'HEAD').split('\n')[0]).toBe('reset: moving to HEAD~1');
    git(dir, 'gc', '--prune=now', '--quiet');
    expect(git(dir, 'cat-file', '-t', second)).toBe('commit');
    execFileSync('git', ['fsck', '--strict'], { cwd: dir, stdio: 'pipe' });
  });

  it("signs with git's committer, logs branch creation, drops a deleted branch's log, and honours core.logAllRefUpdates", async () => {
    const { dir, repository } = await repositoryWithTwoCommits();
    const line = fs.readFileSync(path.join(dir, '.git', 'logs', 'refs', 'heads', 'main'), 'utf8').split('\n')[0]!;
    expect(line).toMatch(/^0{40} [0-9a-f]{40} .+ <.+> \d+ [+-]\d{4}\tcommit \(initial\): first load$/);
    await createBranch(repository, 'side', 'main~1');
    expect(git(dir, 'reflog', 'show', '--format=%gs', 'side')).toBe('branch: Created from main~1');
    await switchBranch(repository, 'side');
    await switchBranch(repository, 'main');
    await deleteBranch(repository, 'side');
    expect(fs.existsSync(path.join(dir, '.git', 'logs', 'refs', 'heads', 'side'))).toBe(false);

    git(dir, 'config', 'core.logAllRefUpdates', 'false');
    await createBranch(repository, 'quiet');
    expect(fs.existsSync(path.join(dir, '.git', 'logs', 'refs', 'heads', 'quiet'))).toBe(false);
    // A log that exists is kept up to date whatever the setting, as git does.
    await runSql(repository, "UPDATE t SET v = 'A' WHERE id = 1");
    await commit(repository, { message: 'fix a', author });
    expect(git(dir, 'reflog', 'show', '--format=%gs', 'main').split('\n')[0]).toBe('commit: fix a');
  });

  it('branch -d refuses a merged branch that holds uncommitted changes, and changes nothing; -D deletes it', async () => {
    const { dir, repository, first, second } = await repositoryWithTwoCommits();
    await createBranch(repository, 'side');
    // side's working set holds a change (the first commit's tables), as a branch left with edits does.
    const { tree } = await repository.readCommit(first as never);
    await repository.workingSets.update('side', undefined, { base: second as never, tree });
    const refs = git(dir, 'for-each-ref');
    await expect(deleteBranch(repository, 'side')).rejects.toThrow(/branch side has uncommitted changes; commit them on it, or `dgit branch -D side` deletes them with it/);
    expect(git(dir, 'for-each-ref')).toBe(refs);
    expect(await deleteBranch(repository, 'side', { force: true })).toEqual({ commit: second });
    expect(git(dir, 'branch', '--list', 'side')).toBe('');
  });
});

