import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runChecks } from '../../engine/checks/index.js';
import { mergeBase } from '../../engine/commands/merge.js';
import { addToQueue, listQueue } from '../../engine/queue/index.js';
import { Repository } from '../../engine/repository/repository.js';
import type { CommitId } from '../../engine/store/revision.js';
import { dgitProcess, gitOut } from '../support/cli.js';
import { baseRow, commitOnBranch, queueRepository } from './queue-fixtures.js';
import { spawnQueue } from './queue-cli.js';
import { seededRandom } from '../support/random.js';

const SEED = Number(process.env.QUEUE_CRASH_SEED ?? 5);
const KILLS = Number(process.env.QUEUE_CRASH_KILLS ?? 40);

function timed(run: () => unknown): number {
  const start = Date.now();
  run();
  return Date.now() - start;
}

describe('merge queue crash safety', () => {
  it(`a queue run killed (SIGKILL) at random points and run again merges each branch once or drops it, main always at a tested commit (seed ${SEED})`, async () => {
    const random = seededRandom(SEED);
    const { repository, dir, base } = await queueRepository(10);
    // Fates in queue order: x1 changes the cell c1 changed and x2 deletes the row c3 changed (conflicts); bad and bad2 break
    // a check alone; dupB's code clashes with dupA's only once both are in.
    const plan: Array<{ branch: string; fate: 'merged' | 'dequeued'; edit: Parameters<typeof commitOnBranch>[2] }> = [
      { branch: 'c1', fate: 'merged', edit: { upsert: [{ ...baseRow(1), score: 11 }] } },
      { branch: 'c2', fate: 'merged', edit: { upsert: [{ id: 100, score: 50, code: 'n100' }] } },
      { branch: 'x1', fate: 'dequeued', edit: { upsert: [{ ...baseRow(1), score: 12 }] } },
      { branch: 'c3', fate: 'merged', edit: { upsert: [{ ...baseRow(3), score: 33 }] } },
      { branch: 'bad', fate: 'dequeued', edit: { upsert: [{ ...baseRow(4), score: 400 }] } },
      { branch: 'c4', fate: 'merged', edit: { delete: [5] } },
      { branch: 'dupA', fate: 'merged', edit: { upsert: [{ ...baseRow(6), code: 'shared' }] } },
      { branch: 'dupB', fate: 'dequeued', edit: { upsert: [{ ...baseRow(7), code: 'shared' }] } },
      { branch: 'c5', fate: 'merged', edit: { upsert: [{ ...baseRow(8), score: 88 }] } },
      { branch: 'c6', fate: 'merged', edit: { upsert: [{ id: 101, score: 1, code: 'n101' }] } },
      { branch: 'x2', fate: 'dequeued', edit: { delete: [3] } },
      { branch: 'c7', fate: 'merged', edit: { upsert: [{ ...baseRow(9), score: 99 }] } },
      { branch: 'bad2', fate: 'dequeued', edit: { upsert: [{ ...baseRow(10), score: null }] } },
      { branch: 'c8', fate: 'merged', edit: { upsert: [{ ...baseRow(2), code: 'two' }] } },
      { branch: 'c9', fate: 'merged', edit: { upsert: [{ id: 102, score: 2, code: 'n102' }] } },
    ];
    const heads = new Map<string, CommitId>();
    for (const { branch, edit } of plan) {
      heads.set(branch, await commitOnBranch(repository, branch, edit, { from: base }));
      await addToQueue(repository, branch);
    }

    // Kill points spread over the run's work: past the process start (timed on a whole `queue list` process), then anywhere in the next stretch.
    const startup = timed(() => expect(dgitProcess(dir, 'queue', 'list').code).toBe(0));
    const seenHeads: CommitId[] = [base];
    let window = 600;
    let finishedEntries = 0;
    let finished = false;
    let interrupted = 0;
    for (let attempt = 0; attempt <= KILLS && !finished; attempt++) {
      const child = spawnQueue(dir, 'run', '--batch', String(1 + Math.floor(random() * 3)));
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      // The last attempt is never killed.
      const timer = attempt < KILLS ? setTimeout(() => child.kill('SIGKILL'), startup * 0.7 + random() * window) : undefined;
      const [code, signal] = (await new Promise((resolve) => child.once('exit', (c, s) => resolve([c, s])))) as [number | null, string | null];
      clearTimeout(timer);
      if (process.env.QUEUE_CRASH_DEBUG) console.log({ attempt, window: Math.round(window), code, signal, stderr });
      if (signal === 'SIGKILL') interrupted++;
      else {
        // Exit 1 says a branch was dropped; an error would be on stderr. The one thing a kill may leave for the user is
        // git's index.lock (as a killed git checkout does): then the files cannot follow main, which the run warns about.
        const unexpected = stderr.split('\n').filter((line) => line !== '' && !(line.startsWith('dgit: warning: the working directory could not follow') && line.includes('index.lock')));
        expect([code, unexpected], `queue run exited ${code}: ${stderr}`).toEqual([expect.toSatisfy((c: number) => c === 0 || c === 1), []]);
        finished = true;
      }

      // After any crash the state is readable and main is where a landing put it.
      const reopened = await Repository.open(dir);
      const listing = await listQueue(reopened);
      const head = (await reopened.branchHead('main'))!;
      const landed = new Set<string>([base, ...listing.entries.flatMap((e) => (e.commit ? [e.commit] : [])), ...(listing.landing ? [listing.landing.candidate] : [])]);
      expect(landed.has(head), `main ${head} is neither the start nor a recorded tested landing`).toBe(true);
      expect(await mergeBase(reopened, head, seenHeads.at(-1)!), 'main only moves forward').toBe(seenHeads.at(-1));
      // A kill that left nothing further done came too early (the machine is slower than the start-up timing said): wait longer next time.
      const done = listing.entries.filter((e) => e.state !== 'queued').length;
      if (done === finishedEntries && head === seenHeads.at(-1)) window *= 1.5;
      finishedEntries = done;
      if (head !== seenHeads.at(-1)) seenHeads.push(head);
    }
    expect(finished).toBe(true);
    expect(interrupted).toBeGreaterThan(0);

    const listing = await listQueue(repository);
    expect(listing.landing).toBeNull();
    expect(listing.entries.map((e) => [e.branch, e.state])).toEqual(plan.map((p) => [p.branch, p.fate]));
    const head = (await repository.branchHead('main'))!;
    const log = gitOut(dir, 'log', '--format=%s', 'main');
    for (const entry of listing.entries) {
      const inMain = (await mergeBase(repository, head, heads.get(entry.branch)!)) === heads.get(entry.branch);
      expect(inMain, `${entry.branch} ${entry.state}`).toBe(entry.state === 'merged');
      expect(entry.reported).toBe(true);
      // Merged once: at most one queue merge commit names the entry.
      expect(log.split('\n').filter((line) => line.endsWith(`(queue #${entry.id})`)).length).toBeLessThanOrEqual(1);
      if (entry.state === 'dequeued') expect(entry.reason).toBeTruthy();
    }
    for (const seen of seenHeads) expect((await runChecks(repository, seen, { incremental: false })).passed, `main was at ${seen}`).toBe(true);
    execFileSync('git', ['fsck', '--strict', '--no-dangling'], { cwd: dir, stdio: 'pipe' });
    expect(gitOut(dir, 'for-each-ref', 'refs/dgit/queue').trim()).toBe('');
    expect(fs.existsSync(path.join(repository.gitdir, 'dgit', 'queue.run.lock'))).toBe(false);
    // The working directory followed main, unless a kill left git's index.lock behind (as a killed git checkout would).
    if (!fs.existsSync(path.join(repository.gitdir, 'index.lock'))) expect(gitOut(dir, 'status', '--porcelain')).toBe('');
    if (process.env.QUEUE_CRASH_DEBUG) console.log({ startup, interrupted, landings: seenHeads.length - 1 });
  });
});
