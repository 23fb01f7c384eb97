/**
 * The merge queue's state machine, apart from any backend: what to do next, and
 * what a step's result does to the queue. The local queue (`dgit queue run`, refs
 * moved by compare-and-swap) and the GitHub App's (a state ref pushed with a
 * lease) both drive it; each keeps only its I/O (reading branches or pull
 * requests, building and checking candidates, moving the default branch, writing
 * its own records, reporting). Pure: plain data in, plain data out, no I/O.
 *
 * A backend projects its records onto a `QueueMachineState`, asks `nextStep`,
 * carries the step out, and folds what came of it back with `foldResult`, which
 * says who leaves the queue (with which departure) and what the queue is after;
 * the backend writes that into its records. A result that no longer fits the
 * state (another writer moved it on meanwhile) folds to `undefined`: decide again.
 *
 * Where the two backends differ, `QueuePolicy` says so.
 */
import { failsReport, worseThan, type CheckReport, type CheckResult } from '../checks/check-result.js';
import type { CommitId } from '../store/revision.js';
import { isBatchSize, nextGroup, prunePlan, recordResult, type BatchPlan } from './batch-plan.js';
import type { Departure } from './outcome.js';

/** A tested candidate on its way to the default branch: recorded before the move, so whoever finds it finishes it. */
export interface MachineLanding {
  /** The entries the candidate lands, in queue order. */
  readonly entries: readonly number[];
  /** The default branch's commit the candidate was merged onto, which the move expects (null: it had none). */
  readonly onto: CommitId | null;
  readonly candidate: CommitId;
}

/** The queue as the machine sees it. */
export interface QueueMachineState {
  /** The entries waiting, in queue order. */
  readonly queued: readonly number[];
  /** Landings each entry lost to a default branch that moved meanwhile (absent: none). */
  readonly lostRaces: Readonly<Record<number, number>>;
  /** The bisection (or, with `group: 'kept'`, the group) under way. */
  readonly plan: BatchPlan;
  readonly landing: MachineLanding | null;
}

/**
 * How a backend runs the queue, where the local queue and the GitHub App's differ.
 * - `racesExhausted`: after an entry lost `maxLostRaces` landings to a moving
 *   default branch, `'stop'` (local: the run stops with an error, its entries stay
 *   queued for the next run, whose count starts again) or `'dequeue'` (GitHub:
 *   they leave with `lost-race`, and the queue goes on with the next).
 * - `group`: `'kept'` (local): a group once chosen stays the group until its test
 *   ends, less the entries that left before a test; `'refilled'` (GitHub): only a
 *   bisection is kept, so a batch that lost an entry before its test is chosen
 *   afresh from the queue (filled up to `batch` again).
 */
export interface QueuePolicy {
  /** Entries tested together (bors' batch; 1: one at a time). */
  readonly batch: number;
  /** Lost landings an entry may have before `racesExhausted` applies (at least 1). */
  readonly maxLostRaces: number;
  readonly racesExhausted: 'stop' | 'dequeue';
  readonly group: 'kept' | 'refilled';
}

/** What to do next. */
export type QueueStep =
  /** Move the default branch from `landing.onto` to `landing.candidate`, or find out that it happened or never can. */
  | { kind: 'land'; landing: MachineLanding }
  /** Merge the group's heads onto the latest default branch and judge the result. */
  | { kind: 'test'; group: number[] }
  /** The group lost `lostRaces` landings and the policy says stop (`racesExhausted: 'stop'`). */
  | { kind: 'stop'; group: number[]; lostRaces: number }
  /** Nothing waits. */
  | { kind: 'idle' };

/** An entry leaving the queue, with why, as the backend words it. */
export interface Leaving {
  id: number;
  departure: Departure;
  reason: string | null;
  /** Merged: the commit the default branch holds it in. */
  commit: CommitId | null;
}

/** What came of a step. */
export type StepResult =
  /** Entries of the group that cannot be tested (a head gone, a pull request closed or pushed to, a review owed, a conflict with the default branch itself): they leave, the rest is decided again. */
  | { kind: 'untestable'; group: readonly number[]; leaving: readonly { id: number; departure: Departure; reason: string }[] }
  /** The default branch holds every head of the group already: they leave as `already-merged`. */
  | { kind: 'contained'; group: readonly number[]; onto: CommitId | null; reason: string }
  /** The group's candidate conflicts (beyond its first part) or fails its checks: a lone culprit leaves, a larger group is bisected. */
  | { kind: 'failed'; group: readonly number[]; departure: Departure; reason: string }
  /** The group's candidate passed: it is recorded as landing. */
  | { kind: 'passed'; group: readonly number[]; onto: CommitId | null; candidate: CommitId }
  /** The default branch contains the landing's candidate: its entries leave as `merged`. */
  | { kind: 'landed'; landing: MachineLanding; reason: string | null }
  /** The default branch moved elsewhere: the landing can never happen; its entries count a lost race and are tested again. */
  | { kind: 'lost-race'; landing: MachineLanding; branch: string }
  /** A landing an interrupted run recorded and never carried out, forgotten without counting a race (its entries are tested again). */
  | { kind: 'abandoned'; landing: MachineLanding }
  /** An entry taken out from outside the queue's steps (withdrawn, closed, pushed to). */
  | { kind: 'removed'; id: number; departure: Departure; reason: string; commit?: CommitId | null };

/** The queue after a result, and who left it. */
export interface Transition {
  state: QueueMachineState;
  leaving: Leaving[];
}

/** Refuse a policy that could never land or never stop. */
export function checkPolicy(policy: QueuePolicy): QueuePolicy {
  if (!isBatchSize(policy.batch)) throw new RangeError(`a batch size is a whole number of at least 1, not ${policy.batch}`);
  if (!Number.isInteger(policy.maxLostRaces) || policy.maxLostRaces < 1) throw new RangeError(`lost races allowed is a whole number of at least 1, not ${policy.maxLostRaces}`);
  return policy;
}

/**
 * The next step: a recorded landing is finished first; else the group the batch
 * plan names is tested (unless it lost too many races and the policy stops);
 * else the queue is idle.
 */
export function nextStep(state: QueueMachineState, policy: QueuePolicy): QueueStep {
  if (state.landing) return { kind: 'land', landing: state.landing };
  const next = nextGroup(state.plan, state.queued, policy.batch);
  if (!next) return { kind: 'idle' };
  const lostRaces = Math.max(...next.group.map((id) => state.lostRaces[id] ?? 0));
  if (policy.racesExhausted === 'stop' && lostRaces >= policy.maxLostRaces) return { kind: 'stop', group: next.group, lostRaces };
  return { kind: 'test', group: next.group };
}

/** The queue after `result`, or undefined when the result no longer fits it (decide again). */
export function foldResult(state: QueueMachineState, result: StepResult, policy: QueuePolicy): Transition | undefined {
  switch (result.kind) {
    case 'removed':
      return removeFromQueue(state, result.id, { departure: result.departure, reason: result.reason, commit: result.commit ?? null });
    case 'landed':
    case 'lost-race':
    case 'abandoned':
      return sameLanding(state.landing, result.landing) ? foldLanding(state, result, policy) : undefined;
    default:
      return foldTest(state, result, policy);
  }
}

/**
 * Take an entry out from outside the queue's steps: a landing it is part of is
 * forgotten (the others are tested again), and the plan forgets it.
 */
export function removeFromQueue(state: QueueMachineState, id: number, leaving: Omit<Leaving, 'id'>): Transition | undefined {
  if (!state.queued.includes(id)) return undefined;
  const landing = state.landing?.entries.includes(id) ? null : state.landing;
  return leave({ ...state, landing }, [{ id, ...leaving }]);
}

/** A result of testing a group: it applies only while nothing lands and the group is the one the plan names. */
function foldTest(state: QueueMachineState, result: Extract<StepResult, { group: readonly number[] }>, policy: QueuePolicy): Transition | undefined {
  if (state.landing) return undefined;
  const next = nextGroup(state.plan, state.queued, policy.batch);
  if (!next || !sameIds(next.group, result.group)) return undefined;
  // With `group: 'kept'`, the group stays the plan's head until its test ends.
  const plan = policy.group === 'kept' ? next.plan : state.plan;
  switch (result.kind) {
    case 'untestable': {
      const leaving = result.leaving.filter((l) => result.group.includes(l.id));
      if (leaving.length === 0) return undefined;
      return leave({ ...state, plan }, leaving.map((l) => ({ ...l, commit: null })));
    }
    case 'contained':
      return leave({ ...state, plan }, result.group.map((id) => ({ id, departure: 'already-merged', reason: result.reason, commit: result.onto })));
    case 'failed': {
      const step = recordResult(next.plan, next.group, 'failed');
      return leave({ ...state, plan: step.plan }, step.culprits.map((id) => ({ id, departure: result.departure, reason: result.reason, commit: null })));
    }
    case 'passed':
      return { state: { ...state, plan, landing: { entries: [...result.group], onto: result.onto, candidate: result.candidate } }, leaving: [] };
  }
}

/** What finding out where the landing stands does to the queue. */
function foldLanding(state: QueueMachineState, result: Extract<StepResult, { kind: 'landed' | 'lost-race' | 'abandoned' }>, policy: QueuePolicy): Transition {
  const waiting = result.landing.entries.filter((id) => state.queued.includes(id));
  const settled = { ...state, landing: null };
  if (result.kind === 'abandoned') return { state: settled, leaving: [] };
  if (result.kind === 'landed') return leave(settled, waiting.map((id) => ({ id, departure: 'merged', reason: result.reason, commit: result.landing.candidate })));
  const lostRaces = { ...state.lostRaces };
  for (const id of waiting) lostRaces[id] = (lostRaces[id] ?? 0) + 1;
  const exhausted = policy.racesExhausted === 'dequeue' ? waiting.filter((id) => lostRaces[id]! >= policy.maxLostRaces) : [];
  return leave(
    { ...settled, lostRaces },
    exhausted.map((id) => ({ id, departure: 'lost-race', reason: `${result.branch} moved under the queue ${lostRaces[id]} times while it landed`, commit: null })),
  );
}

/** The queue without the entries leaving, and a plan that forgets them. */
function leave(state: QueueMachineState, leaving: Leaving[]): Transition {
  const gone = new Set(leaving.map((l) => l.id));
  const queued = state.queued.filter((id) => !gone.has(id));
  return { state: { ...state, queued, plan: prunePlan(state.plan, queued) }, leaving };
}

function sameLanding(recorded: MachineLanding | null, found: MachineLanding): boolean {
  return recorded !== null && recorded.candidate === found.candidate && sameIds(recorded.entries, found.entries);
}

function sameIds(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((id, i) => id === b[i]);
}

// ---- the verdict on a candidate, and the red-main ratchet --------------------------------

/** What the checks said of a candidate: pass, or why not and whose fault. */
export type CandidateVerdict = { passed: true } | { passed: false; departure: Extract<Departure, 'checks-failed' | 'invalid-config'>; reason: string };

/**
 * Judge a candidate by its check report and, when it fails, the default branch's
 * (`base`; undefined when it has none or its checks cannot run there). On a green
 * default branch every error-level check must pass. On a red one (a bad load
 * landed outside the queue) a candidate that passes everything cannot exist until
 * every fix has landed, so the rule is the ratchet: the default branch never gets
 * worse (see `checksMadeWorse`). That is how heal branches, one check each, land
 * one by one.
 */
export function judgeReports(report: CheckReport, base: CheckReport | undefined): CandidateVerdict {
  if (report.passed) return { passed: true };
  let failing = report.results.filter(failsReport);
  if (base && !base.passed) {
    failing = checksMadeWorse(report, base);
    if (failing.length === 0) return { passed: true };
  }
  const shown = failing.slice(0, 5).map((r) => `${r.check} (${r.error ? `could not run: ${r.error}` : r.message})`);
  if (failing.length > shown.length) shown.push(`${failing.length - shown.length} more`);
  return { passed: false, departure: 'checks-failed', reason: `check${failing.length === 1 ? '' : 's'} failed on the merged result: ${shown.join('; ')}` };
}

/**
 * The error-level checks that fail on `report` and did not fail as badly on
 * `base` (a red base may only get better): new failures, checks that could not
 * run, and checks failing more rows than before.
 */
export function checksMadeWorse(report: CheckReport, base: CheckReport): CheckResult[] {
  const before = new Map(base.results.map((r) => [r.check, r]));
  return report.results.filter(failsReport).filter((r) => {
    const was = before.get(r.check);
    return !was || !failsReport(was) || worseThan(was, r) !== undefined;
  });
}
