import { describe, expect, it } from 'vitest';
import { bisectionBound, EMPTY_PLAN, nextGroup, prunePlan, recordResult, type BatchPlan } from '../../engine/queue/batch-plan.js';
import { seededRandom as random } from '../support/random.js';

interface Run {
  landed: number[];
  dropped: number[];
  /** Every group tested, in order. */
  tested: number[][];
}

/**
 * Drive the plan over a queue the way a backend does: test the next group (it
 * fails when `fails` says so), record the result, take landed and dropped entries
 * out of the queue; `leave` may take entries out before a test (a pull request
 * closed meanwhile).
 */
function drive(queue: number[], batch: number, fails: (group: number[]) => boolean, leave: (queued: number[], testsSoFar: number) => number[] = () => []): Run {
  let queued = [...queue];
  let plan: BatchPlan = EMPTY_PLAN;
  const run: Run = { landed: [], dropped: [], tested: [] };
  for (let step = 0; step < 10_000; step++) {
    const gone = new Set(leave(queued, run.tested.length));
    queued = queued.filter((id) => !gone.has(id));
    const next = nextGroup(plan, queued, batch);
    if (!next) return run;
    run.tested.push(next.group);
    const result = recordResult(next.plan, next.group, fails(next.group) ? 'failed' : 'passed');
    plan = result.plan;
    run.landed.push(...result.landed);
    run.dropped.push(...result.culprits);
    const done = new Set([...result.landed, ...result.culprits]);
    queued = queued.filter((id) => !done.has(id));
  }
  throw new Error('the plan did not finish');
}

const ids = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
const containsCulprit = (culprits: Set<number>) => (group: number[]) => group.some((id) => culprits.has(id));

/** The bors bound over a whole queue: its batches are consecutive slices of `batch` entries. */
function queueBound(queue: number[], batch: number, culprits: Set<number>): number {
  let bound = 0;
  for (let start = 0; start < queue.length; start += batch) {
    const slice = queue.slice(start, start + batch);
    bound += bisectionBound(slice.length, slice.filter((id) => culprits.has(id)).length);
  }
  return bound;
}

describe('batch plan', () => {
  it('tests a batch of four with the third bad as bors does: the batch, its halves, then the bad half split', () => {
    const run = drive(ids(4), 4, containsCulprit(new Set([3])));
    expect(run.tested).toEqual([[1, 2, 3, 4], [1, 2], [3, 4], [3], [4]]);
    expect(run.landed).toEqual([1, 2, 4]);
    expect(run.dropped).toEqual([3]);
  });

  it('lands a batch whose entries are all good in one test', () => {
    expect(drive(ids(3), 3, () => false)).toEqual({ landed: [1, 2, 3], dropped: [], tested: [[1, 2, 3]] });
  });

  it('with a batch of one tests each entry alone, in queue order', () => {
    expect(drive(ids(3), 1, containsCulprit(new Set([2])))).toEqual({ landed: [1, 3], dropped: [2], tested: [[1], [2], [3]] });
  });

  for (let size = 1; size <= 6; size++) {
    it(`every culprit pattern of a batch of ${size}: the good land in order, the culprits are dropped, within the bors bound`, () => {
      for (let mask = 0; mask < 1 << size; mask++) {
        const culprits = new Set(ids(size).filter((id) => (mask >> (id - 1)) & 1));
        const run = drive(ids(size), size, containsCulprit(culprits));
        expect(run.landed).toEqual(ids(size).filter((id) => !culprits.has(id)));
        expect(run.dropped).toEqual(ids(size).filter((id) => culprits.has(id)));
        expect(run.tested.length).toBeLessThanOrEqual(bisectionBound(size, culprits.size));
        // Each group tested is a run of consecutive entries, none tested after it was decided.
        for (const group of run.tested) expect(group).toEqual(ids(group.length).map((i) => group[0]! + i - 1));
      }
    });
  }

  it('over random queues, batch sizes and culprits (seeded): every good entry lands, every culprit is dropped, within the bound', () => {
    for (let seed = 1; seed <= 400; seed++) {
      const rand = random(seed);
      const queue = ids(1 + Math.floor(rand() * 40)).map((id) => id * 7); // ids need not be dense
      const batch = 1 + Math.floor(rand() * 9);
      const density = rand();
      const culprits = new Set(queue.filter(() => rand() < density * 0.5));
      const run = drive(queue, batch, containsCulprit(culprits));
      expect(run.landed, `seed ${seed}`).toEqual(queue.filter((id) => !culprits.has(id)));
      expect(run.dropped, `seed ${seed}`).toEqual(queue.filter((id) => culprits.has(id)));
      expect(run.tested.length, `seed ${seed}`).toBeLessThanOrEqual(queueBound(queue, batch, culprits));
    }
  });

  it('entries that leave the queue mid-bisection are never tested again, and the rest still resolve', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const rand = random(seed);
      const queue = ids(2 + Math.floor(rand() * 20));
      const culprits = new Set(queue.filter(() => rand() < 0.3));
      const left: number[] = [];
      const leftAt = new Map<number, number>();
      const run = drive(queue, 2 + Math.floor(rand() * 6), containsCulprit(culprits), (queued, testsSoFar) => {
        if (queued.length === 0 || rand() > 0.15) return [];
        const id = queued[Math.floor(rand() * queued.length)]!;
        left.push(id);
        leftAt.set(id, testsSoFar);
        return [id];
      });
      for (const [id, at] of leftAt) expect(run.tested.slice(at).some((group) => group.includes(id)), `seed ${seed}`).toBe(false);
      expect([...run.landed, ...run.dropped, ...left].sort((a, b) => a - b), `seed ${seed}`).toEqual(queue);
      expect(run.landed.filter((id) => culprits.has(id)), `seed ${seed}`).toEqual([]);
      expect(run.dropped.filter((id) => !culprits.has(id)), `seed ${seed}`).toEqual([]);
    }
  });

  it('a batch that fails only together (the halves pass on their own) lands every entry, in two halves', () => {
    const run = drive(ids(5), 5, (group) => group.length === 5);
    expect(run.tested).toEqual([[1, 2, 3, 4, 5], [1, 2, 3], [4, 5]]);
    expect(run.landed).toEqual(ids(5));
    expect(run.dropped).toEqual([]);
  });

  it('starts no new batch before the bisection under way is done, even when more entries are queued', () => {
    const failed = recordResult({ pending: [[1, 2, 3, 4]] }, [1, 2, 3, 4], 'failed');
    expect(failed.plan.pending).toEqual([[1, 2], [3, 4]]);
    expect(nextGroup(failed.plan, [1, 2, 3, 4, 5, 6], 4)?.group).toEqual([1, 2]);
  });

  it('forgets groups whose entries all left, and keeps the plan as plain JSON', () => {
    const plan = { pending: [[1, 2], [3, 4]] };
    expect(prunePlan(plan, [3, 5])).toEqual({ pending: [[3]] });
    expect(nextGroup(plan, [5, 6], 2)).toEqual({ plan: { pending: [[5, 6]] }, group: [5, 6] });
    expect(JSON.parse(JSON.stringify(recordResult(plan, [1, 2], 'failed').plan))).toEqual({ pending: [[1], [2], [3, 4]] });
  });

  it('refuses a batch size below one and a result for a group it is not testing', () => {
    expect(() => nextGroup(EMPTY_PLAN, [1], 0)).toThrow(/batch size/);
    expect(() => nextGroup(EMPTY_PLAN, [1], 1.5)).toThrow(/batch size/);
    expect(() => recordResult({ pending: [[1, 2]] }, [2], 'passed')).toThrow(/not the one/);
    expect(() => recordResult(EMPTY_PLAN, [1], 'failed')).toThrow(/not the one/);
  });

  it('nothing queued: no group', () => {
    expect(nextGroup(EMPTY_PLAN, [], 3)).toBeUndefined();
  });
});
