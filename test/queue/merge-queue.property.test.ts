import { describe, expect, it } from 'vitest';
import { runChecks } from '../../engine/checks/index.js';
import { mergeBase } from '../../engine/commands/merge.js';
import { addToQueue, checkCandidate, listQueue, runQueue, type CandidateCheck } from '../../engine/queue/index.js';
import type { CommitId } from '../../engine/store/revision.js';
import { commitOnBranch, queueRepository, tableRows, type ScoreRow } from './queue-fixtures.js';
import { seededRandom } from '../support/random.js';

/** The seeded generator (test/support/random.ts) with the helpers the cases use. */
function seededCases(seed: number): { next(): number; int(min: number, max: number): number; pick<T>(items: readonly T[]): T } {
  const next = seededRandom(seed);
  return { next, int: (min, max) => min + Math.floor(next() * (max - min + 1)), pick: (items) => items[Math.floor(next() * items.length)]! };
}

type EditKind = 'clean-update' | 'clean-insert' | 'clean-delete' | 'hot-row' | 'null-score' | 'out-of-range' | 'duplicate-code' | 'shared-code';

/** Seeds from QUEUE_PROPERTY_SEEDS (comma separated) to replay a failure, else a fixed set. */
const SEEDS = (process.env.QUEUE_PROPERTY_SEEDS ?? '11,2024,7').split(',').map(Number);
const ROUNDS = 7;

describe('merge queue property: main is never moved to a commit that failed a check', () => {
  for (const seed of SEEDS) {
    it(`random clean, conflicting and check-breaking branches keep main green and tested (seed ${seed})`, async () => {
      const random = seededCases(seed);
      const { repository, base } = await queueRepository(10);
      const passedCandidates = new Set<CommitId>();
      const check: CandidateCheck = async (repo, commit, onto) => {
        const verdict = await checkCandidate(repo, commit, onto);
        if (verdict.passed) passedCandidates.add(commit);
        return verdict;
      };
      const history: CommitId[] = [base];
      const verifiedHeads = new Set<CommitId>([base]);
      let branchCount = 0;
      let nextId = 100;
      const kinds = { merged: 0, dropped: 0 };

      /** The invariant, asserted whenever main may have moved. */
      const assertMainGreenAndTested = async (where: string) => {
        const head = (await repository.branchHead('main'))!;
        if (verifiedHeads.has(head)) return;
        expect(passedCandidates.has(head), `${where}: main ${head} was not a commit the queue tested and passed (seed ${seed})`).toBe(true);
        const report = await runChecks(repository, head, { incremental: false });
        expect(report.passed, `${where}: main ${head} fails ${JSON.stringify(report.results.filter((r) => !r.passed))} (seed ${seed})`).toBe(true);
        expect(await mergeBase(repository, head, history.at(-1)!), `${where}: main moved backwards (seed ${seed})`).toBe(history.at(-1));
        history.push(head);
        verifiedHeads.add(head);
      };

      for (let round = 0; round < ROUNDS; round++) {
        const queued: Array<{ branch: string; kind: EditKind }> = [];
        for (let i = random.int(1, 4); i > 0; i--) {
          const branch = `r${round}-b${branchCount++}`;
          // Most branches start from the latest main; some from an older commit, as stale pull requests do.
          const from = random.next() < 0.7 ? history.at(-1)! : random.pick(history);
          const rows = [...(await tableRows(repository, from)).values()];
          const kind = random.pick<EditKind>(['clean-update', 'clean-update', 'clean-insert', 'clean-delete', 'hot-row', 'hot-row', 'null-score', 'out-of-range', 'duplicate-code', 'shared-code']);
          const row = random.pick(rows);
          const edits: { upsert?: ScoreRow[]; delete?: number[] } = {};
          switch (kind) {
            case 'clean-update':
              edits.upsert = [{ ...row, score: random.int(0, 100) }];
              break;
            case 'clean-insert':
              edits.upsert = [{ id: nextId, score: random.int(0, 100), code: `n${nextId++}` }];
              break;
            case 'clean-delete':
              edits.delete = [row.id];
              break;
            case 'hot-row': {
              // Every such branch changes the same cell: any two made from the same base conflict.
              const hot = rows.find((r) => r.id === 1) ?? row;
              edits.upsert = [{ ...hot, score: random.int(0, 100) }];
              break;
            }
            case 'null-score':
              edits.upsert = [{ ...row, score: null }];
              break;
            case 'out-of-range':
              edits.upsert = [{ ...row, score: random.pick([-5, 101, 250]) }];
              break;
            case 'duplicate-code': {
              const other = rows.find((r) => r.id !== row.id);
              edits.upsert = [{ ...row, code: other ? other.code : row.code }];
              break;
            }
            case 'shared-code':
              // Fine alone; a second branch doing it to another row breaks `unique` only once merged.
              edits.upsert = [{ ...row, code: 'shared' }];
              break;
          }
          await commitOnBranch(repository, branch, edits, { from, message: `${kind} on ${branch}\n` });
          await addToQueue(repository, branch);
          queued.push({ branch, kind });
        }

        const report = await runQueue(repository, {
          batch: random.int(1, 3),
          check,
          onOutcome: async (entry, outcome) => {
            kinds[outcome === 'merged' ? 'merged' : 'dropped']++;
            await assertMainGreenAndTested(`after #${entry.id} ${entry.branch} ${outcome}`);
          },
        });
        // An assertion failing inside the hook comes back as a warning.
        expect(report.warnings).toEqual([]);
        await assertMainGreenAndTested(`after round ${round}`);
        if (process.env.QUEUE_PROPERTY_DEBUG) console.log(seed, round, report.tested.map((t) => `${t.entries.join('+')}:${t.passed ? 'pass' : t.reason}`), report.outcomes.map((o) => `${o.branch}(${queued.find((q) => q.branch === o.branch)?.kind}):${o.outcome}`));
        expect(report.after).toBe(history.at(-1));

        const entries = (await listQueue(repository)).entries;
        expect(entries.filter((e) => e.state === 'queued')).toEqual([]);
        const head = (await repository.branchHead('main'))!;
        for (const { branch, kind } of queued) {
          const entry = entries.find((e) => e.branch === branch)!;
          const branchHead = (await repository.branchHead(branch))!;
          const contained = (await mergeBase(repository, head, branchHead)) === branchHead;
          // Merged exactly when main holds the branch; a dropped branch has a reason.
          expect(contained, `${branch} (${kind}) is ${entry.state} (seed ${seed})`).toBe(entry.state === 'merged');
          if (entry.state === 'dequeued') expect(entry.reason).toMatch(/conflicts in|check|checks failed/);
          // A branch that breaks a check on its own never lands.
          if (kind === 'null-score' || kind === 'out-of-range') expect(entry.state, `${branch} (${kind})`).toBe('dequeued');
        }
      }
      // The random mix exercised both ways out of the queue.
      expect(kinds.merged).toBeGreaterThan(0);
      expect(kinds.dropped).toBeGreaterThan(0);
    });
  }
});
