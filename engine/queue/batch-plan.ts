/**
 * The merge queue's batching and bisection, apart from any backend (bors' rule):
 * the first `batch` queued entries are tested merged together; a batch that fails
 * is split in halves, each tested on its own on the then-latest default branch,
 * until each culprit is a group of one. The local queue (`dgit queue run --batch`)
 * and the GitHub App's queue both follow this plan; the GitHub one keeps it in its
 * state ref, so another instance resumes a bisection half-way. Pure: no I/O, and a
 * plan is plain JSON.
 */

/**
 * Where a bisection stands: the groups still to test, next first. Empty between
 * batches (the next batch is then the first `batch` queued entries).
 */
export interface BatchPlan {
  readonly pending: readonly (readonly number[])[];
}

/** What testing a group came to: its merged result passed (it lands) or failed. */
export type GroupResult = 'passed' | 'failed';

/** The plan after a group's result: what is now known to land, and the culprits to drop. */
export interface PlanStep {
  plan: BatchPlan;
  /** Entries whose group passed: they land together. */
  landed: number[];
  /** A group of one that failed: its entry is the culprit (dropped with the failure's reason). */
  culprits: number[];
}

/** No bisection under way. */
export const EMPTY_PLAN: BatchPlan = { pending: [] };

/** Whether a batch size is usable: a whole number of at least 1. */
export function isBatchSize(batch: number): boolean {
  return Number.isInteger(batch) && batch >= 1;
}

/**
 * The plan with every entry that left the queue meanwhile (landed, dropped, taken
 * out) removed, and groups left empty forgotten: `queued` is the queue now.
 */
export function prunePlan(plan: BatchPlan, queued: readonly number[]): BatchPlan {
  const waiting = new Set(queued);
  return { pending: plan.pending.map((group) => group.filter((id) => waiting.has(id))).filter((group) => group.length > 0) };
}

/**
 * The group to test next, and the plan it is the head of: the first pending group
 * still queued, else a new batch of the first `batch` queued entries (in queue
 * order); undefined when nothing is queued.
 */
export function nextGroup(plan: BatchPlan, queued: readonly number[], batch: number): { plan: BatchPlan; group: number[] } | undefined {
  if (!isBatchSize(batch)) throw new RangeError(`a batch size is a whole number of at least 1, not ${batch}`);
  const pruned = prunePlan(plan, queued);
  const head = pruned.pending[0] ?? queued.slice(0, batch);
  if (head.length === 0) return undefined;
  return { plan: pruned.pending.length > 0 ? pruned : { pending: [head] }, group: [...head] };
}

/**
 * Record the result of testing `group`, the head of `plan` (as `nextGroup` gave
 * it): a pass lands the group; a failing group of one is a culprit; a failing
 * larger group is replaced by its halves (the first half rounded up), tested next,
 * in order.
 */
export function recordResult(plan: BatchPlan, group: readonly number[], result: GroupResult): PlanStep {
  const [head, ...rest] = plan.pending;
  if (!head || head.length !== group.length || head.some((id, i) => id !== group[i])) {
    throw new Error(`group [${group.join(', ')}] is not the one the plan tests next`);
  }
  if (result === 'passed') return { plan: { pending: rest }, landed: [...head], culprits: [] };
  if (head.length === 1) return { plan: { pending: rest }, landed: [], culprits: [...head] };
  const middle = Math.ceil(head.length / 2);
  return { plan: { pending: [head.slice(0, middle), head.slice(middle), ...rest] }, landed: [], culprits: [] };
}

/**
 * The most tests a batch of `size` entries with `culprits` of them failing needs:
 * one for the batch, and two (its halves) for each failing group larger than one;
 * at most `ceil(log2 size)` of those per culprit, and at most `size - 1` in all.
 */
export function bisectionBound(size: number, culprits: number): number {
  if (culprits === 0 || size <= 1) return 1;
  return 1 + 2 * Math.min(size - 1, culprits * Math.ceil(Math.log2(size)));
}
