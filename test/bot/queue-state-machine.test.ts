import { describe, expect, it } from 'vitest';
import { addEntry, applyTransition, machineOf, parseQueueState, type QueueState } from '../../bot/queue/queue-state.js';
import { foldResult, type QueuePolicy, type StepResult } from '../../engine/queue/queue-machine.js';
import type { CommitId } from '../../engine/store/revision.js';

/**
 * The GitHub queue's state as the queue core sees it (machineOf) and the core's
 * transitions written back into it (applyTransition): a batch landing, lost
 * landings counted in `attempts`, a bisection kept in `bisection`.
 */

const HEAD = 'a'.repeat(40) as CommitId;
const MAIN = 'b'.repeat(40) as CommitId;
const CANDIDATE = 'c'.repeat(40) as CommitId;
const NOW = '2024-05-01T10:00:00.000Z';
const POLICY: QueuePolicy = { batch: 2, maxLostRaces: 2, racesExhausted: 'dequeue', group: 'refilled' };

function queueOf(pulls: number): QueueState {
  const state = parseQueueState({ version: 1, next_id: 1, entries: [], landing: null });
  for (let pull = 1; pull <= pulls; pull++) addEntry(state, { pull, head: HEAD, queuedBy: 'maintainer', source: `comment/${pull}`, now: NOW });
  return state;
}

function step(state: QueueState, result: StepResult, now = NOW): void {
  const transition = foldResult(machineOf(state), result, POLICY);
  if (!transition) throw new Error('the result did not fit the state');
  applyTransition(state, transition, { now });
}

describe('the GitHub queue state under the queue core', () => {
  it('records a passing batch as a landing of its entries, and its lost races in attempts until they dequeue', () => {
    const state = queueOf(3);
    step(state, { kind: 'passed', group: [1, 2], onto: MAIN, candidate: CANDIDATE });
    expect(state.landing).toEqual({ entry: 1, entries: [1, 2], onto: MAIN, candidate: CANDIDATE, started_at: NOW });
    expect(state.bisection).toBeUndefined();
    expect(machineOf(state).landing).toEqual({ entries: [1, 2], onto: MAIN, candidate: CANDIDATE });
    step(state, { kind: 'lost-race', landing: machineOf(state).landing!, branch: 'main' });
    expect(state.landing).toBeNull();
    expect(state.entries.map((e) => e.attempts)).toEqual([1, 1, 0]);
    step(state, { kind: 'passed', group: [1, 2], onto: MAIN, candidate: CANDIDATE }, '2024-05-01T10:05:00.000Z');
    step(state, { kind: 'lost-race', landing: machineOf(state).landing!, branch: 'main' });
    expect(state.entries.map((e) => [e.state, e.departure, e.attempts])).toEqual([
      ['dequeued', 'lost-race', 2],
      ['dequeued', 'lost-race', 2],
      ['queued', null, 0],
    ]);
    expect(state.entries[0]!.reason).toBe('main moved under the queue 2 times while it landed');
  });

  it('keeps a failing batch\'s bisection, lands a passing half, and forgets the bisection once done', () => {
    const state = queueOf(2);
    step(state, { kind: 'failed', group: [1, 2], departure: 'checks-failed', reason: 'bad' });
    expect(state.bisection).toEqual({ pending: [[1], [2]] });
    step(state, { kind: 'failed', group: [1], departure: 'checks-failed', reason: 'bad' });
    expect(state.entries[0]).toMatchObject({ state: 'dequeued', departure: 'checks-failed', reason: 'bad', reported: false });
    step(state, { kind: 'passed', group: [2], onto: MAIN, candidate: CANDIDATE });
    expect(state.landing).toEqual({ entry: 2, onto: MAIN, candidate: CANDIDATE, started_at: NOW });
    step(state, { kind: 'landed', landing: machineOf(state).landing!, reason: 'merged' });
    expect(state.entries[1]).toMatchObject({ state: 'merged', departure: 'merged', commit: CANDIDATE });
    expect(state.landing).toBeNull();
    expect(state.bisection).toBeUndefined();
  });
});
