import { describe, expect, it } from 'vitest';
import { addEntry, batchPlanOf, finishEntry, keepBatchPlan, landingEntries, parseQueueState, type QueueState } from '../../bot/queue/queue-state.js';
import { queueOptionsFromEnvironment } from '../../bot/settings.js';
import type { CommitId } from '../../engine/store/revision.js';

/**
 * The GitHub queue's state with batches: a batch landing names its entries, a
 * bisection under way is kept as the queue core's plan; states written before
 * either (no `worker`, no `bisection`, a landing of one `entry`) read as before,
 * and a state without a bisection is written without the field.
 */

const HEAD = 'a'.repeat(40) as CommitId;
const NOW = '2024-05-01T10:00:00.000Z';

function queueOf(pulls: number): QueueState {
  const state = parseQueueState({ version: 1, next_id: 1, entries: [], landing: null });
  for (let pull = 1; pull <= pulls; pull++) addEntry(state, { pull, head: HEAD, queuedBy: 'maintainer', source: `comment/${pull}`, now: NOW });
  return state;
}

describe('the queue state with batches', () => {
  it('reads a state written before batches: no bisection, a landing of its one entry', () => {
    const old = {
      version: 1,
      next_id: 2,
      entries: [{ id: 1, pull: 7, head: HEAD, state: 'queued', queued_by: 'm', queued_at: NOW, source: 'comment/1', attempts: 0, departure: null, reason: null, commit: null, finished_at: null, finished_by: null, reported: false }],
      landing: { entry: 1, onto: null, candidate: 'b'.repeat(40), started_at: NOW },
    };
    const state = parseQueueState(old);
    expect(state.bisection).toBeUndefined();
    expect(batchPlanOf(state)).toEqual({ pending: [] });
    expect(landingEntries(state.landing!)).toEqual([1]);
    expect(JSON.parse(JSON.stringify(state))).not.toHaveProperty('bisection');
  });

  it('keeps a bisection and a batch landing through JSON', () => {
    const state = queueOf(4);
    keepBatchPlan(state, { pending: [[1, 2], [3, 4]] });
    state.landing = { entry: 1, entries: [1, 2], onto: null, candidate: 'b'.repeat(40) as CommitId, started_at: NOW };
    const read = parseQueueState(JSON.parse(JSON.stringify(state)));
    expect(read.bisection).toEqual({ pending: [[1, 2], [3, 4]] });
    expect(landingEntries(read.landing!)).toEqual([1, 2]);
  });

  it('drops entries that leave from the bisection, and the bisection once nothing of it waits', () => {
    const state = queueOf(4);
    keepBatchPlan(state, { pending: [[1, 2], [3, 4]] });
    finishEntry(state, 1, { departure: 'closed', reason: 'closed', now: NOW });
    expect(state.bisection).toEqual({ pending: [[2], [3, 4]] });
    for (const id of [2, 3, 4]) finishEntry(state, id, { departure: 'merged', reason: 'merged', now: NOW });
    expect(state.bisection).toBeUndefined();
  });

  it('forgets a batch landing when any of its entries leaves otherwise', () => {
    const state = queueOf(3);
    state.landing = { entry: 1, entries: [1, 2, 3], onto: null, candidate: 'b'.repeat(40) as CommitId, started_at: NOW };
    finishEntry(state, 2, { departure: 'removed', reason: 'taken out', now: NOW });
    expect(state.landing).toBeNull();
  });

  it('refuses a bisection group that is empty', () => {
    expect(() => parseQueueState({ version: 1, next_id: 1, entries: [], landing: null, bisection: { pending: [[]] } })).toThrow();
  });
});

describe('the queue settings from the environment', () => {
  it('reads DGIT_BOT_QUEUE_BATCH, default one at a time', () => {
    expect(queueOptionsFromEnvironment({})).toEqual({});
    expect(queueOptionsFromEnvironment({ DGIT_BOT_QUEUE_BATCH: '4' })).toEqual({ batch: 4 });
  });

  it('refuses a batch that is not a whole number of at least 1, naming the variable', () => {
    for (const value of ['0', '-2', '1.5', 'four', '3x']) expect(() => queueOptionsFromEnvironment({ DGIT_BOT_QUEUE_BATCH: value })).toThrow(/DGIT_BOT_QUEUE_BATCH must be a whole number/);
  });
});
