import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resetHard } from '../../engine/commands/branch.js';
import { commit } from '../../engine/commands/commit.js';
import { listConflicts, resolveConflicts } from '../../engine/commands/conflicts.js';
import { abortMerge, continueMerge, merge } from '../../engine/commands/merge.js';
import { runSql } from '../../engine/commands/sql.js';
import { status } from '../../engine/commands/status.js';
import { fsck } from '../../engine/integrity/fsck.js';
import { addToQueue, listQueue, runQueue } from '../../engine/queue/index.js';
import { Repository } from '../../engine/repository/repository.js';
import { load } from '../checks/check-fixtures.js';
import { baseRow, commitOnBranch, queueRepository } from '../queue/queue-fixtures.js';

/** Git's own housekeeping, each of which must lose nothing dgit keeps outside commits. */
const HOUSEKEEPING: string[][] = [
  ['gc', '--prune=now'],
  ['repack', '-a', '-d'],
  ['gc', '--aggressive', '--prune=now'],
  ['maintenance', 'run', '--task=gc', '--task=loose-objects', '--task=incremental-repack'],
];

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'gc.reflogExpire=now', '-c', 'gc.reflogExpireUnreachable=now', '-c', 'maintenance.loose-objects.auto=0', ...args], {
    cwd: dir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

async function scores(repository: Repository, rev?: string): Promise<unknown[]> {
  const result = await runSql(repository, 'SELECT id, score FROM t ORDER BY id', { rev });
  return result.kind === 'rows' ? result.rows : [];
}

describe('state outside commits survives git gc, repack and maintenance', () => {
  it('an uncommitted import survives every housekeeping command and commits with no missing object', async () => {
    const { repository, dir } = await queueRepository(4);
    await load(repository, { t: { rows: [{ ...baseRow(9), score: 42 }], mode: 'upsert' } });
    const before = await scores(repository);
    for (const args of HOUSEKEEPING) {
      git(dir, ...args);
      const reopened = await Repository.open(dir);
      expect((await status(reopened)).tables).toMatchObject([{ table: 't', summary: { added: 1 } }]);
      expect(await scores(reopened)).toEqual(before);
    }
    const made = await commit(await Repository.open(dir), { message: 'after gc' });
    git(dir, 'gc', '--prune=now');
    expect(git(dir, 'fsck', '--strict', '--no-dangling')).toBe('');
    expect(await scores(await Repository.open(dir), made.commit)).toEqual(before);
    expect((await fsck(await Repository.open(dir), { full: true })).ok).toBe(true);
  });

  it('a merge in progress with conflicts survives gc: conflicts, --abort and --continue still work', async () => {
    const { repository, dir } = await queueRepository(4);
    const { base } = { base: await repository.branchHead('main') };
    await runSql(repository, 'UPDATE t SET score = 11 WHERE id = 1');
    await commit(repository, { message: 'ours' });
    await commitOnBranch(repository, 'other', { upsert: [{ ...baseRow(1), score: 22 }] }, { from: base });
    const head = await repository.branchHead('main');
    expect((await merge(repository, 'other')).status).toBe('conflicts');
    for (const args of HOUSEKEEPING) git(dir, ...args);
    let reopened = await Repository.open(dir);
    expect((await listConflicts(reopened)).tables[0]!.conflicts).toHaveLength(1);
    await abortMerge(reopened);
    expect(await reopened.branchHead('main')).toBe(head);
    expect((await merge(reopened, 'other')).status).toBe('conflicts');
    git(dir, 'gc', '--prune=now');
    reopened = await Repository.open(dir);
    await resolveConflicts(reopened, 't', { side: 'theirs' });
    git(dir, 'gc', '--prune=now');
    const outcome = await continueMerge(await Repository.open(dir));
    expect(outcome.status).toBe('merged');
    expect(git(dir, 'fsck', '--strict', '--no-dangling')).toBe('');
  });

  it('queue state survives gc: the queue lists and lands its entries', async () => {
    const { repository, dir } = await queueRepository(4);
    const head = await commitOnBranch(repository, 'feature', { upsert: [{ ...baseRow(2), score: 5 }] });
    await addToQueue(repository, 'feature');
    for (const args of HOUSEKEEPING) git(dir, ...args);
    const reopened = await Repository.open(dir);
    expect((await listQueue(reopened)).entries).toMatchObject([{ branch: 'feature', state: 'queued' }]);
    await runQueue(reopened);
    expect(await reopened.branchHead('main')).toBe(head);
  });

  it('a working set kept in a state file by an older dgit is read, then moved under refs/dgit/ by the next write', async () => {
    const { repository, dir } = await queueRepository(4);
    await load(repository, { t: { rows: [{ ...baseRow(1), score: 1 }], mode: 'upsert' } });
    const state = (await repository.workingSets.read('main'))!;
    // As an older dgit left it: the state in a file, no ref.
    git(dir, 'update-ref', '-d', 'refs/dgit/working/main');
    const legacy = path.join(repository.gitdir, 'dgit', 'working', 'main.json');
    fs.mkdirSync(path.dirname(legacy), { recursive: true });
    fs.writeFileSync(legacy, JSON.stringify({ base: state.base, tree: state.tree }) + '\n');
    const old = await Repository.open(dir);
    expect((await status(old)).tables).toMatchObject([{ table: 't', summary: { modified: 1 } }]);
    await runSql(old, 'UPDATE t SET score = 2 WHERE id = 2');
    expect(fs.existsSync(legacy)).toBe(false);
    expect(git(dir, 'rev-parse', 'refs/dgit/working/main').trim()).toMatch(/^[0-9a-f]{40}$/);
    expect((await status(old)).tables).toMatchObject([{ table: 't', summary: { modified: 2 } }]);
  });

  it('a working set an older dgit lost to gc is refused by commit (no commit naming a missing tree) and named by fsck', async () => {
    const { repository } = await queueRepository(4);
    const head = await repository.branchHead('main');
    const legacy = path.join(repository.gitdir, 'dgit', 'working', 'main.json');
    fs.mkdirSync(path.dirname(legacy), { recursive: true });
    fs.writeFileSync(legacy, JSON.stringify({ base: head, tree: 'ab'.repeat(20) }) + '\n');
    const error = await commit(repository, { message: 'x' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CORRUPT' });
    expect(String((error as Error).message)).toContain('dgit reset --hard');
    expect(await repository.branchHead('main')).toBe(head);
    const report = await fsck(repository);
    expect(report.ok).toBe(false);
    expect(report.problems[0]).toMatchObject({ where: '.git/dgit/working/main.json' });
    expect(report.problems[0]!.recovery).toContain('dgit reset --hard');
    await resetHard(repository);
    expect((await status(repository)).clean).toBe(true);
    expect((await fsck(repository)).ok).toBe(true);
  });
});
