import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runChecks } from '../../engine/checks/index.js';
import { commit } from '../../engine/commands/commit.js';
import { merge } from '../../engine/commands/merge.js';
import { runSql } from '../../engine/commands/sql.js';
import { status } from '../../engine/commands/status.js';
import { switchBranch } from '../../engine/commands/branch.js';
import { addToQueue, checkCandidate, listQueue, QueueStateStore, runQueue, type CandidateCheck, type QueueOutcome } from '../../engine/queue/index.js';
import type { CommitId } from '../../engine/store/revision.js';
import { gitOut } from '../support/cli.js';
import { baseRow, commitOnBranch, queueRepository, tableRows } from './queue-fixtures.js';

function fsck(dir: string): void {
  execFileSync('git', ['fsck', '--strict', '--no-dangling'], { cwd: dir, stdio: 'pipe' });
}

describe('merge queue', () => {
  it('a clean branch lands: main fast-forwards to the tested commit and the files follow', async () => {
    const { repository, dir } = await queueRepository();
    const head = await commitOnBranch(repository, 'feature', { upsert: [{ ...baseRow(2), score: 55 }] });
    await addToQueue(repository, 'feature');
    const outcomes: Array<[string, QueueOutcome]> = [];
    const report = await runQueue(repository, { onOutcome: async (entry, outcome) => void outcomes.push([entry.branch, outcome]) });
    expect(await repository.branchHead('main')).toBe(head);
    expect(report.tested).toEqual([{ commit: head, onto: report.before, entries: [1], passed: true, reason: null }]);
    expect(report.after).toBe(head);
    expect(outcomes).toEqual([['feature', 'merged']]);
    const [entry] = (await listQueue(repository)).entries;
    expect(entry).toMatchObject({ id: 1, branch: 'feature', state: 'merged', outcome: 'merged', head, commit: head, reported: true });
    expect((await tableRows(repository, 'main')).get(2)?.score).toBe(55);
    expect(gitOut(dir, 'status', '--porcelain')).toBe('');
    expect(await gitRefs(dir, 'refs/dgit/queue')).toBe('');
    fsck(dir);
  });

  it('a clean branch made before main moved lands as a merge commit of both, checked', async () => {
    const { repository, dir } = await queueRepository();
    await commitOnBranch(repository, 'feature', { upsert: [{ ...baseRow(2), score: 55 }] });
    await commitOnBranch(repository, 'other', { upsert: [{ ...baseRow(9), score: 1 }] });
    await addToQueue(repository, 'other');
    await addToQueue(repository, 'feature');
    const report = await runQueue(repository);
    const landed = await repository.readCommit(report.after!);
    expect(landed.parents).toEqual([await repository.branchHead('other'), await repository.branchHead('feature')]);
    expect(landed.message).toBe("Merge branch 'feature' into main (queue #2)\n");
    expect(report.tested.map((t) => t.commit)).toEqual([landed.parents[0], report.after]);
    const rows = await tableRows(repository, 'main');
    expect([rows.get(2)?.score, rows.get(9)?.score]).toEqual([55, 1]);
    expect(gitOut(dir, 'status', '--porcelain')).toBe('');
    fsck(dir);
  });

  it('a conflicting branch is dropped with its reason, and main does not move', async () => {
    const { repository } = await queueRepository();
    await commitOnBranch(repository, 'first', { upsert: [{ ...baseRow(3), score: 10 }] });
    await commitOnBranch(repository, 'second', { upsert: [{ ...baseRow(3), score: 20 }] });
    await addToQueue(repository, 'first');
    await addToQueue(repository, 'second');
    const outcomes: Array<[string, QueueOutcome, string]> = [];
    const report = await runQueue(repository, { onOutcome: async (entry, outcome, reason) => void outcomes.push([entry.branch, outcome, reason]) });
    expect(report.after).toBe(await repository.branchHead('first'));
    const second = (await listQueue(repository)).entries[1]!;
    expect(second).toMatchObject({ branch: 'second', state: 'dequeued', outcome: 'rejected', commit: null, head: await repository.branchHead('second') });
    expect(second).toMatchObject({ departure: 'conflict', reason: 'the data merge with main conflicts in t: 1 conflict, at id=3 (score)' });
    expect(outcomes[1]).toEqual(['second', 'rejected', 'the data merge with main conflicts in t: 1 conflict, at id=3 (score)']);
    expect(report.tested).toHaveLength(1); // a conflict is found before any check runs
  });

  it('a check-breaking branch is dropped, with the failing check named, and main stays green', async () => {
    const { repository, base } = await queueRepository();
    await commitOnBranch(repository, 'broken', { upsert: [{ ...baseRow(4), score: 250 }] });
    await addToQueue(repository, 'broken');
    const report = await runQueue(repository);
    expect(await repository.branchHead('main')).toBe(base);
    expect(report.tested).toMatchObject([{ passed: false }]);
    const [entry] = (await listQueue(repository)).entries;
    expect(entry).toMatchObject({ state: 'dequeued', outcome: 'rejected' });
    expect(entry!.reason).toMatch(/^check failed on the merged result: t\.score\.range \(/);
    expect((await runChecks(repository, 'main')).passed).toBe(true);
  });

  it('two branches each clean alone but breaking a unique check together: the second is dropped', async () => {
    const { repository } = await queueRepository();
    await commitOnBranch(repository, 'a', { upsert: [{ ...baseRow(5), code: 'dup' }] });
    await commitOnBranch(repository, 'b', { upsert: [{ ...baseRow(6), code: 'dup' }] });
    expect((await runChecks(repository, 'b')).passed).toBe(true);
    await addToQueue(repository, 'a');
    await addToQueue(repository, 'b');
    await runQueue(repository);
    expect((await listQueue(repository)).entries.map((e) => e.state)).toEqual(['merged', 'dequeued']);
    expect((await listQueue(repository)).entries[1]!.reason).toMatch(/t\.code\.unique/);
  });

  it('a lost race retries: the branch is merged again onto the new head, checked, and lands', async () => {
    const { repository } = await queueRepository();
    const feature = await commitOnBranch(repository, 'feature', { upsert: [{ ...baseRow(2), score: 55 }] });
    const racer = await commitOnBranch(repository, 'racer', { upsert: [{ ...baseRow(8), score: 88 }] });
    await addToQueue(repository, 'feature');
    let raced = false;
    // While the queue checks its first candidate, someone else merges into main (and its files follow).
    const check: CandidateCheck = async (repo, candidate, onto) => {
      if (!raced) {
        raced = true;
        expect(await merge(repository, 'racer')).toEqual({ status: 'fast-forward', commit: racer });
      }
      return checkCandidate(repo, candidate, onto);
    };
    const report = await runQueue(repository, { check });
    expect(report.tested.map((t) => t.onto)).toEqual([report.before, racer]);
    expect(report.tested[0]!.commit).toBe(feature);
    const landed = await repository.readCommit(report.after!);
    expect(landed.parents).toEqual([racer, feature]);
    expect(report.after).toBe(report.tested[1]!.commit);
    const rows = await tableRows(repository, 'main');
    expect([rows.get(2)?.score, rows.get(8)?.score]).toEqual([55, 88]);
    expect((await listQueue(repository)).entries[0]).toMatchObject({ state: 'merged', commit: report.after });
    expect(gitOut(repository.dir, 'status', '--porcelain')).toBe('');
  });

  it('batching with one bad branch in four lands the other three, each landed result tested', async () => {
    const { repository, base } = await queueRepository();
    await commitOnBranch(repository, 'b1', { upsert: [{ ...baseRow(1), score: 11 }] });
    await commitOnBranch(repository, 'b2', { upsert: [{ ...baseRow(2), score: 22 }] });
    await commitOnBranch(repository, 'b3', { upsert: [{ ...baseRow(3), score: null }] });
    await commitOnBranch(repository, 'b4', { upsert: [{ ...baseRow(4), score: 44 }] });
    for (const branch of ['b1', 'b2', 'b3', 'b4']) await addToQueue(repository, branch);
    const landings: CommitId[] = [];
    const report = await runQueue(repository, {
      batch: 4,
      onOutcome: async (_entry, outcome) => {
        if (outcome === 'merged') landings.push((await repository.branchHead('main'))!);
      },
    });
    // [b1 b2 b3 b4] fails; [b1 b2] lands; [b3 b4] fails; [b3] is dropped; [b4] lands.
    expect(report.tested.map((t) => [t.entries, t.passed])).toEqual([
      [[1, 2, 3, 4], false],
      [[1, 2], true],
      [[3, 4], false],
      [[3], false],
      [[4], true],
    ]);
    const entries = (await listQueue(repository)).entries;
    expect(entries.map((e) => e.state)).toEqual(['merged', 'merged', 'dequeued', 'merged']);
    expect(entries[2]!.reason).toMatch(/t\.score\.not_null/);
    expect(entries[0]!.commit).toBe(entries[1]!.commit);
    expect(entries[3]!.commit).toBe(report.after);
    const passed = new Set(report.tested.filter((t) => t.passed).map((t) => t.commit));
    for (const entry of entries.filter((e) => e.state === 'merged')) expect(passed.has(entry.commit!)).toBe(true);
    expect(report.after).not.toBe(base);
    const rows = await tableRows(repository, 'main');
    expect([1, 2, 3, 4].map((id) => rows.get(id)?.score)).toEqual([11, 22, baseRow(3).score, 44]);
    expect((await runChecks(repository, 'main')).passed).toBe(true);
  });
});

describe('queue add', () => {
  it('validates the branch: it must exist, must not be the default branch, and is queued once', async () => {
    const { repository } = await queueRepository(3);
    await expect(addToQueue(repository, 'nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(addToQueue(repository, 'main')).rejects.toMatchObject({ code: 'USAGE' });
    await expect(addToQueue(repository, '-x')).rejects.toMatchObject({ code: 'INVALID_NAME' });
    await commitOnBranch(repository, 'feature', { upsert: [{ ...baseRow(1), score: 3 }] });
    expect(await addToQueue(repository, 'feature')).toMatchObject({ id: 1, branch: 'feature', state: 'queued', reason: null });
    await expect(addToQueue(repository, 'feature')).rejects.toMatchObject({ code: 'ALREADY_EXISTS', message: 'feature is already queued (#1)' });
    await runQueue(repository);
    // Once it has left the queue, the branch may be queued again.
    expect(await addToQueue(repository, 'feature')).toMatchObject({ id: 2 });
  });
});

describe('queue run and the user', () => {
  it('refuses to move main under uncommitted changes on it, and leaves everything as it was', async () => {
    const { repository, base } = await queueRepository(3);
    await commitOnBranch(repository, 'feature', { upsert: [{ ...baseRow(1), score: 3 }] });
    await addToQueue(repository, 'feature');
    await runSql(repository, 'UPDATE t SET score = 9 WHERE id = 2');
    await expect(runQueue(repository)).rejects.toMatchObject({ code: 'UNCOMMITTED_CHANGES' });
    expect(await repository.branchHead('main')).toBe(base);
    expect((await listQueue(repository)).entries[0]!.state).toBe('queued');
    await commit(repository, { message: 'user edit' });
    await runQueue(repository);
    expect((await listQueue(repository)).entries[0]!.state).toBe('merged');
    const rows = await tableRows(repository, 'main');
    expect([rows.get(1)?.score, rows.get(2)?.score]).toEqual([3, 9]);
  });

  it('runs while the user works on another branch: main moves, their branch, working set and files stay', async () => {
    const { repository, dir } = await queueRepository(3);
    const head = await commitOnBranch(repository, 'feature', { upsert: [{ ...baseRow(1), score: 3 }] });
    await addToQueue(repository, 'feature');
    await switchBranch(repository, 'work', { create: true });
    await runSql(repository, 'UPDATE t SET score = 77 WHERE id = 3');
    const before = await repository.workingSets.read('work');
    await runQueue(repository);
    expect(await repository.branchHead('main')).toBe(head);
    expect(repository.currentBranch()).toBe('work');
    expect(await repository.workingSets.read('work')).toEqual(before);
    expect((await status(repository)).tables).toMatchObject([{ table: 't', summary: { modified: 1 } }]);
    expect(gitOut(dir, 'status', '--porcelain')).toBe('');
  });

  it('an outcome hook that throws is a warning, and is called again by the next run', async () => {
    const { repository } = await queueRepository(3);
    await commitOnBranch(repository, 'feature', { upsert: [{ ...baseRow(1), score: 3 }] });
    await addToQueue(repository, 'feature');
    const failing = await runQueue(repository, {
      onOutcome: async () => {
        throw new Error('incident memory unavailable');
      },
    });
    expect(failing.warnings).toEqual(['the outcome hook failed for #1 (feature); it runs again next time: incident memory unavailable']);
    expect((await listQueue(repository)).entries[0]).toMatchObject({ state: 'merged', reported: false });
    const calls: string[] = [];
    await runQueue(repository, { onOutcome: async (entry, outcome, reason) => void calls.push(`${entry.branch} ${outcome} ${reason}`) });
    expect(calls).toEqual([`feature merged landed on main as ${failing.after!.slice(0, 12)}`]);
    expect((await listQueue(repository)).entries[0]!.reported).toBe(true);
  });

  it('a branch deleted after it was queued is dropped as failed', async () => {
    const { repository, base } = await queueRepository(3);
    const head = await commitOnBranch(repository, 'gone', { upsert: [{ ...baseRow(1), score: 3 }] });
    await addToQueue(repository, 'gone');
    await repository.refs.delete('refs/heads/gone', head);
    await runQueue(repository);
    expect((await listQueue(repository)).entries[0]).toMatchObject({ state: 'dequeued', outcome: 'failed', departure: 'head-missing', reason: 'branch gone no longer exists' });
    expect(await repository.branchHead('main')).toBe(base);
  });
});

describe('queue run concurrency and crash recovery', () => {
  it('a second run is refused while one holds the run lock; a dead holder does not block', async () => {
    const { repository } = await queueRepository(3);
    const lock = path.join(repository.gitdir, 'dgit', 'queue.run.lock');
    const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    try {
      fs.writeFileSync(lock, JSON.stringify({ pid: live.pid, host: os.hostname(), token: 'live', since: 'now' }));
      await expect(runQueue(repository)).rejects.toMatchObject({ code: 'CONCURRENT_UPDATE', name: 'QueueBusyError' });
      expect(fs.readFileSync(lock, 'utf8')).toContain('"live"');
    } finally {
      live.kill('SIGKILL');
      await new Promise((resolve) => live.once('exit', resolve));
    }
    // Its holder is dead now: the next run breaks the lock, runs, and releases it.
    await runQueue(repository);
    expect(fs.existsSync(lock)).toBe(false);
  });

  it('two runs at once: one lands the branch, the other is refused or finds nothing to do; main moves once', async () => {
    const { repository, base } = await queueRepository(3);
    const head = await commitOnBranch(repository, 'feature', { upsert: [{ ...baseRow(1), score: 3 }] });
    await addToQueue(repository, 'feature');
    const results = await Promise.allSettled([runQueue(repository), runQueue(repository)]);
    expect(results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.name)).toEqual(['QueueBusyError']);
    expect(await repository.branchHead('main')).toBe(head);
    expect(gitOut(repository.dir, 'rev-list', '--count', `${base}..main`).trim()).toBe('1');
  });

  it('recovery: a landing whose swap happened before a crash is finished, one whose swap did not is retested', async () => {
    const { repository } = await queueRepository(3);
    const landed = await commitOnBranch(repository, 'landed', { upsert: [{ ...baseRow(1), score: 3 }] });
    const pending = await commitOnBranch(repository, 'pending', { upsert: [{ ...baseRow(2), score: 4 }] });
    await addToQueue(repository, 'landed');
    await addToQueue(repository, 'pending');
    const store = new QueueStateStore(repository.gitdir);
    const onto = (await repository.branchHead('main'))!;
    // A run recorded its landing and moved main, then died.
    await store.update((state) => void (state.landing = { entries: [1], onto, candidate: landed, heads: { '1': landed }, started_at: 'then' }));
    await repository.refs.compareAndSwap('refs/heads/main', onto, landed);
    await repository.refs.compareAndSwap('refs/dgit/queue/tmp/1', undefined, landed);
    const calls: number[] = [];
    const report = await runQueue(repository, { onOutcome: async (entry) => void calls.push(entry.id) });
    expect(report.recovered).toEqual([1]);
    expect(report.tested.map((t) => t.entries)).toEqual([[2]]); // #1 is not tested or merged again
    expect(calls).toEqual([1, 2]);
    expect((await listQueue(repository)).entries.map((e) => [e.state, e.commit])).toEqual([
      ['merged', landed],
      ['merged', report.after],
    ]);
    expect((await repository.readCommit(report.after!)).parents).toEqual([landed, pending]);
    expect(await gitRefs(repository.dir, 'refs/dgit/queue')).toBe('');
    expect(gitOut(repository.dir, 'status', '--porcelain')).toBe('');
  });
});

async function gitRefs(dir: string, prefix: string): Promise<string> {
  return gitOut(dir, 'for-each-ref', prefix).trim();
}
