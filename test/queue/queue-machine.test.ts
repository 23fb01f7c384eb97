import { describe, expect, it } from 'vitest';
import type { CheckReport, CheckResult } from '../../engine/checks/check-result.js';
import { EMPTY_PLAN } from '../../engine/queue/batch-plan.js';
import { checkPolicy, foldResult, judgeReports, nextStep, removeFromQueue, type MachineLanding, type QueueMachineState, type QueuePolicy, type StepResult } from '../../engine/queue/queue-machine.js';
import type { CommitId } from '../../engine/store/revision.js';

/**
 * The merge queue's pure state machine (engine/queue/queue-machine.ts): every
 * step it names and every result it folds, under both backends' policies.
 */

const MAIN = 'a'.repeat(40) as CommitId;
const CANDIDATE = 'c'.repeat(40) as CommitId;
const LOCAL: QueuePolicy = { batch: 1, maxLostRaces: 3, racesExhausted: 'stop', group: 'kept' };
const GITHUB: QueuePolicy = { batch: 1, maxLostRaces: 3, racesExhausted: 'dequeue', group: 'refilled' };

function queue(ids: number[], more: Partial<QueueMachineState> = {}): QueueMachineState {
  return { queued: ids, lostRaces: {}, plan: EMPTY_PLAN, landing: null, ...more };
}

function fold(state: QueueMachineState, result: StepResult, policy: QueuePolicy) {
  const transition = foldResult(state, result, policy);
  if (!transition) throw new Error('the result did not fit the state');
  return transition;
}

const landingOf = (entries: number[]): MachineLanding => ({ entries, onto: MAIN, candidate: CANDIDATE });

describe('the next step', () => {
  it('is idle with nothing queued, and tests the first entry, or the first batch', () => {
    expect(nextStep(queue([]), LOCAL)).toEqual({ kind: 'idle' });
    expect(nextStep(queue([3, 4, 5]), LOCAL)).toEqual({ kind: 'test', group: [3] });
    expect(nextStep(queue([3, 4, 5]), { ...GITHUB, batch: 2 })).toEqual({ kind: 'test', group: [3, 4] });
  });

  it('finishes a recorded landing before anything else', () => {
    const landing = landingOf([3]);
    expect(nextStep(queue([3, 4], { landing }), GITHUB)).toEqual({ kind: 'land', landing });
  });

  it('tests the head of a bisection before a new batch', () => {
    expect(nextStep(queue([1, 2, 3, 4, 5], { plan: { pending: [[3, 4], [5]] } }), { ...LOCAL, batch: 4 })).toEqual({ kind: 'test', group: [3, 4] });
  });

  it('stops a group that lost too many races when the policy says stop, and tests it when it says dequeue', () => {
    const state = queue([1, 2], { lostRaces: { 1: 3 } });
    expect(nextStep(state, LOCAL)).toEqual({ kind: 'stop', group: [1], lostRaces: 3 });
    expect(nextStep(state, GITHUB)).toEqual({ kind: 'test', group: [1] });
  });

  it('refuses a policy that cannot work', () => {
    expect(() => checkPolicy({ ...LOCAL, batch: 0 })).toThrow(RangeError);
    expect(() => checkPolicy({ ...LOCAL, maxLostRaces: 0 })).toThrow(RangeError);
    expect(checkPolicy(GITHUB)).toBe(GITHUB);
  });
});

describe('testing a group', () => {
  it('a passing group is recorded as landing; under "kept" the group is pinned in the plan, under "refilled" not', () => {
    const local = fold(queue([1, 2, 3]), { kind: 'passed', group: [1, 2], onto: MAIN, candidate: CANDIDATE }, { ...LOCAL, batch: 2 });
    expect(local).toEqual({ state: queue([1, 2, 3], { plan: { pending: [[1, 2]] }, landing: landingOf([1, 2]) }), leaving: [] });
    const github = fold(queue([1, 2, 3]), { kind: 'passed', group: [1, 2], onto: MAIN, candidate: CANDIDATE }, { ...GITHUB, batch: 2 });
    expect(github.state.plan).toEqual(EMPTY_PLAN);
    expect(github.state.landing).toEqual(landingOf([1, 2]));
  });

  it('a failing lone entry leaves with the failure; the queue goes on with the next', () => {
    const { state, leaving } = fold(queue([1, 2]), { kind: 'failed', group: [1], departure: 'checks-failed', reason: 'check x failed' }, LOCAL);
    expect(leaving).toEqual([{ id: 1, departure: 'checks-failed', reason: 'check x failed', commit: null }]);
    expect(state).toEqual(queue([2]));
    expect(nextStep(state, LOCAL)).toEqual({ kind: 'test', group: [2] });
  });

  it('a failing batch is split in halves, the first tested next; a failing half of one is the culprit; a passing half lands', () => {
    const policy = { ...GITHUB, batch: 4 };
    let state = fold(queue([1, 2, 3, 4]), { kind: 'failed', group: [1, 2, 3, 4], departure: 'conflict', reason: 'conflicts' }, policy).state;
    expect(state.plan).toEqual({ pending: [[1, 2], [3, 4]] });
    expect(nextStep(state, policy)).toEqual({ kind: 'test', group: [1, 2] });
    state = fold(state, { kind: 'passed', group: [1, 2], onto: MAIN, candidate: CANDIDATE }, policy).state;
    state = fold(state, { kind: 'landed', landing: landingOf([1, 2]), reason: null }, policy).state;
    expect(state).toEqual(queue([3, 4], { plan: { pending: [[3, 4]] } }));
    state = fold(state, { kind: 'failed', group: [3, 4], departure: 'checks-failed', reason: 'bad' }, policy).state;
    expect(state.plan).toEqual({ pending: [[3], [4]] });
    const culprit = fold(state, { kind: 'failed', group: [3], departure: 'checks-failed', reason: 'bad' }, policy);
    expect(culprit.leaving.map((l) => [l.id, l.departure])).toEqual([[3, 'checks-failed']]);
    expect(culprit.state).toEqual(queue([4], { plan: { pending: [[4]] } }));
  });

  it('entries already in the default branch leave as already-merged, with its commit', () => {
    const { state, leaving } = fold(queue([1, 2, 3]), { kind: 'contained', group: [1, 2], onto: MAIN, reason: 'already in main' }, { ...LOCAL, batch: 2 });
    expect(leaving).toEqual([1, 2].map((id) => ({ id, departure: 'already-merged', reason: 'already in main', commit: MAIN })));
    expect(state).toEqual(queue([3]));
  });

  it('an untestable entry leaves; "kept" tests the rest of its group alone, "refilled" fills the batch up again', () => {
    const result: StepResult = { kind: 'untestable', group: [1, 2], leaving: [{ id: 1, departure: 'head-missing', reason: 'gone' }] };
    const kept = fold(queue([1, 2, 3]), result, { ...LOCAL, batch: 2 });
    expect(kept.leaving).toEqual([{ id: 1, departure: 'head-missing', reason: 'gone', commit: null }]);
    expect(nextStep(kept.state, { ...LOCAL, batch: 2 })).toEqual({ kind: 'test', group: [2] });
    const refilled = fold(queue([1, 2, 3]), result, { ...GITHUB, batch: 2 });
    expect(nextStep(refilled.state, { ...GITHUB, batch: 2 })).toEqual({ kind: 'test', group: [2, 3] });
  });

  it('several untestable entries leave at once; ones outside the group are ignored', () => {
    const { leaving, state } = fold(queue([1, 2, 3]), { kind: 'untestable', group: [1, 2], leaving: [{ id: 1, departure: 'head-missing', reason: 'a' }, { id: 2, departure: 'wrong-base', reason: 'b' }, { id: 3, departure: 'closed', reason: 'c' }] }, { ...LOCAL, batch: 2 });
    expect(leaving.map((l) => l.id)).toEqual([1, 2]);
    expect(state).toEqual(queue([3]));
  });

  it('a result for a group the plan no longer names, or while a landing is recorded, does not fit', () => {
    const policy = { ...GITHUB, batch: 2 };
    expect(foldResult(queue([2, 3]), { kind: 'failed', group: [1, 2], departure: 'conflict', reason: 'x' }, policy)).toBeUndefined();
    expect(foldResult(queue([1, 2], { landing: landingOf([1, 2]) }), { kind: 'passed', group: [1, 2], onto: MAIN, candidate: CANDIDATE }, policy)).toBeUndefined();
    expect(foldResult(queue([1, 2]), { kind: 'untestable', group: [1, 2], leaving: [] }, policy)).toBeUndefined();
  });
});

describe('landing', () => {
  it('a landed candidate takes its entries out as merged, with the candidate, and ends the landing', () => {
    const { state, leaving } = fold(queue([1, 2], { landing: landingOf([1]), plan: { pending: [[1]] } }), { kind: 'landed', landing: landingOf([1]), reason: 'merged' }, LOCAL);
    expect(leaving).toEqual([{ id: 1, departure: 'merged', reason: 'merged', commit: CANDIDATE }]);
    expect(state).toEqual(queue([2]));
  });

  it('a lost race forgets the landing and counts a race; the same group is tested again', () => {
    const { state, leaving } = fold(queue([1, 2], { landing: landingOf([1]), plan: { pending: [[1]] } }), { kind: 'lost-race', landing: landingOf([1]), branch: 'main' }, LOCAL);
    expect(leaving).toEqual([]);
    expect(state).toEqual(queue([1, 2], { lostRaces: { 1: 1 }, plan: { pending: [[1]] } }));
    expect(nextStep(state, LOCAL)).toEqual({ kind: 'test', group: [1] });
  });

  it('the last race allowed: "dequeue" takes the entries out as lost-race, "stop" keeps them and stops', () => {
    const state = queue([1, 2], { landing: landingOf([1]), lostRaces: { 1: 2 } });
    const dequeued = fold(state, { kind: 'lost-race', landing: landingOf([1]), branch: 'main' }, GITHUB);
    expect(dequeued.leaving).toEqual([{ id: 1, departure: 'lost-race', reason: 'main moved under the queue 3 times while it landed', commit: null }]);
    expect(dequeued.state.lostRaces).toEqual({ 1: 3 });
    expect(nextStep(dequeued.state, GITHUB)).toEqual({ kind: 'test', group: [2] });
    const stopped = fold(state, { kind: 'lost-race', landing: landingOf([1]), branch: 'main' }, LOCAL);
    expect(stopped.leaving).toEqual([]);
    expect(nextStep(stopped.state, LOCAL)).toEqual({ kind: 'stop', group: [1], lostRaces: 3 });
  });

  it('an abandoned landing is forgotten without counting a race', () => {
    const { state, leaving } = fold(queue([1], { landing: landingOf([1]) }), { kind: 'abandoned', landing: landingOf([1]) }, LOCAL);
    expect(leaving).toEqual([]);
    expect(state).toEqual(queue([1]));
  });

  it('a result about another landing than the recorded one does not fit', () => {
    const other = { ...landingOf([1]), candidate: 'd'.repeat(40) as CommitId };
    expect(foldResult(queue([1], { landing: landingOf([1]) }), { kind: 'landed', landing: other, reason: null }, GITHUB)).toBeUndefined();
    expect(foldResult(queue([1]), { kind: 'lost-race', landing: landingOf([1]), branch: 'main' }, GITHUB)).toBeUndefined();
  });

  it('landed entries that left meanwhile are not taken out twice', () => {
    const { leaving } = fold(queue([2], { landing: landingOf([1, 2]) }), { kind: 'landed', landing: landingOf([1, 2]), reason: null }, GITHUB);
    expect(leaving.map((l) => l.id)).toEqual([2]);
  });
});

describe('removal from outside the steps', () => {
  it('takes the entry out, forgets a landing it is part of, and prunes the bisection', () => {
    const state = queue([1, 2, 3, 4], { landing: landingOf([1, 2]), plan: { pending: [[1, 2], [3, 4]] } });
    const { state: after, leaving } = fold(state, { kind: 'removed', id: 2, departure: 'new-push', reason: 'pushed' }, GITHUB);
    expect(leaving).toEqual([{ id: 2, departure: 'new-push', reason: 'pushed', commit: null }]);
    expect(after).toEqual(queue([1, 3, 4], { plan: { pending: [[1], [3, 4]] } }));
  });

  it('keeps a landing it is not part of, and refuses an entry not queued', () => {
    const state = queue([1, 2], { landing: landingOf([1]) });
    expect(removeFromQueue(state, 2, { departure: 'closed', reason: 'closed', commit: null })!.state.landing).toEqual(landingOf([1]));
    expect(removeFromQueue(state, 7, { departure: 'closed', reason: 'closed', commit: null })).toBeUndefined();
  });
});

describe('the verdict and the red-main ratchet', () => {
  const result = (check: string, failingRows: number, more: Partial<CheckResult> = {}): CheckResult =>
    ({ check, kind: 'not_null', table: 't', severity: 'error', passed: failingRows === 0, failing_rows: failingRows, column: null, columns: [], message: `${failingRows} rows`, sample: [], ...more }) as unknown as CheckResult;
  const report = (...results: CheckResult[]): CheckReport => ({ revision: 'x', config: true, passed: results.every((r) => r.passed || r.severity !== 'error'), results });

  it('on a green default branch every error check must pass', () => {
    expect(judgeReports(report(result('a', 0)), report(result('a', 0)))).toEqual({ passed: true });
    const verdict = judgeReports(report(result('a', 2), result('b', 0)), report(result('a', 0)));
    expect(verdict).toMatchObject({ passed: false, departure: 'checks-failed' });
    expect(!verdict.passed && verdict.reason).toContain('a (2 rows)');
  });

  it('on a red default branch a candidate passes when nothing gets worse, and fails when a check fails more rows, newly, or cannot run', () => {
    const red = report(result('a', 5), result('b', 3));
    expect(judgeReports(report(result('a', 5), result('b', 1)), red)).toEqual({ passed: true });
    expect(judgeReports(report(result('a', 6), result('b', 0)), red)).toMatchObject({ passed: false });
    expect(judgeReports(report(result('a', 5), result('c', 1)), red)).toMatchObject({ passed: false });
    expect(judgeReports(report(result('a', 5, { error: 'boom' })), red)).toMatchObject({ passed: false });
  });

  it('without a default branch report (none, or its checks cannot run) every check must pass', () => {
    expect(judgeReports(report(result('a', 1)), undefined)).toMatchObject({ passed: false });
  });

  it('warnings never fail a candidate', () => {
    expect(judgeReports(report(result('w', 4, { severity: 'warn' })), undefined)).toEqual({ passed: true });
  });
});
