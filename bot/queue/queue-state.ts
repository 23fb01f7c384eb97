import { z } from 'zod';
import { DEPARTURES, leaveQueue, prunePlan, QUEUE_ENTRY_STATES, removeFromQueue, type BatchPlan, type CommitId, type Departure, type MachineLanding, type QueueMachineState, type Transition } from '../../engine/index.js';

export { DEPARTURES, MERGED_DEPARTURES, type Departure } from '../../engine/index.js';

/**
 * The GitHub merge queue's state: which pull requests wait, in order, how each that
 * left the queue left it, and the landing in flight. It lives in the repository
 * itself (see QueueStore), so any instance of the bot, restarted or on a new
 * machine, carries on from it. These are its types, its projection onto the queue
 * core's state machine (engine/queue/queue-machine.ts, which decides every
 * transition, for the local queue too) and the writing of a transition back; the
 * vocabulary (states, departures) is the core's (engine/queue/outcome.ts).
 */

const Sha = z.string().regex(/^[0-9a-f]{40}$/);

const EntrySchema = z.object({
  /** Unique in the repository, never reused: markers and check runs are named after it. */
  id: z.number().int().min(1),
  pull: z.number().int().min(1),
  /** The pull request's head when it was queued: what the queue may merge, and nothing newer. */
  head: Sha,
  state: z.enum(QUEUE_ENTRY_STATES),
  queued_by: z.string(),
  queued_at: z.string(),
  /** What queued it: `comment/<id>` or `label/<delivery>`, so the same command is recognised. */
  source: z.string(),
  /** Landings lost to a moving default branch, rebuilt each time. */
  attempts: z.number().int().min(0),
  departure: z.enum(DEPARTURES).nullable(),
  /** Why it left, in words (may quote names from the data and dgit.yml: escape before showing). */
  reason: z.string().nullable(),
  /** Merged: the commit the default branch moved to. */
  commit: Sha.nullable(),
  finished_at: z.string().nullable(),
  /** The command that took it out, when one did (its reply says so; no second comment). */
  finished_by: z.string().nullable(),
  /** Whether the outcome was published (comment, check run, label): at least once, idempotently. */
  reported: z.boolean(),
});

const LandingSchema = z.object({
  /** The entry landing (the first of a batch). */
  entry: z.number().int().min(1),
  /** A batch's entries, in queue order, when more than one lands in the candidate (absent: just `entry`). */
  entries: z.array(z.number().int().min(1)).min(1).optional(),
  /** The default branch's commit the candidate was merged onto, which the push expects (its lease). */
  onto: Sha.nullable(),
  /** The tested commit being pushed to the default branch. */
  candidate: Sha,
  started_at: z.string(),
});

/** The instance of the bot working the queue (settling, reporting, landing), and until when unless it renews. */
const WorkerSchema = z.object({ instance: z.string().min(1), until: z.string() });

/**
 * A bisection under way (engine/queue/batch-plan.ts): the groups of a failed batch
 * still to test, next first. Absent between batches, and in states written before
 * batches, which read as "no bisection".
 */
const BisectionSchema = z.object({ pending: z.array(z.array(z.number().int().min(1)).min(1)) });

export const QueueStateSchema = z.object({
  version: z.literal(1),
  next_id: z.number().int().min(1),
  entries: z.array(EntrySchema),
  landing: LandingSchema.nullable(),
  worker: WorkerSchema.nullable().default(null),
  bisection: BisectionSchema.optional(),
});

export type QueueEntry = Omit<z.infer<typeof EntrySchema>, 'head' | 'commit'> & { head: CommitId; commit: CommitId | null };
export type Landing = Omit<z.infer<typeof LandingSchema>, 'onto' | 'candidate'> & { onto: CommitId | null; candidate: CommitId };
export type Worker = z.infer<typeof WorkerSchema>;
export interface QueueState {
  version: 1;
  next_id: number;
  entries: QueueEntry[];
  landing: Landing | null;
  worker: Worker | null;
  bisection?: BatchPlan;
}

/** Finished entries kept for the record (the ref's history keeps every state anyway). */
const KEEP_FINISHED = 300;

export function emptyQueueState(): QueueState {
  return { version: 1, next_id: 1, entries: [], landing: null, worker: null };
}

export function parseQueueState(json: unknown): QueueState {
  return QueueStateSchema.parse(json) as QueueState;
}

/** The entries waiting, in queue order. */
export function queuedEntries(state: QueueState): QueueEntry[] {
  return state.entries.filter((entry) => entry.state === 'queued');
}

/** The latest entry of a pull request (it may have been queued several times). */
export function latestEntry(state: QueueState, pull: number): QueueEntry | undefined {
  return state.entries.filter((entry) => entry.pull === pull).at(-1);
}

/** 1-based place in the queue. */
export function positionOf(state: QueueState, entry: QueueEntry): number {
  return queuedEntries(state).indexOf(entry) + 1;
}

/** Whether something is waiting, landing or unreported: work for the queue's worker. */
export function hasWork(state: QueueState): boolean {
  return state.landing !== null || state.entries.some((entry) => entry.state === 'queued' || !entry.reported);
}

/** Whether `instance` works the queue now (its lease runs at least `margin` ms more). */
export function isWorker(state: QueueState, instance: string, at: number, margin = 0): boolean {
  return state.worker?.instance === instance && Date.parse(state.worker.until) - at > margin;
}

/**
 * Make `instance` the queue's worker for `leaseMs` from `at`, unless another
 * instance's lease still runs (then undefined: that one is working). One worker at
 * a time means every outcome is reported by one instance: a comment is never
 * posted by two at once. A worker that stopped is replaced once its lease ran out.
 */
export function claimWorker(state: QueueState, instance: string, at: number, leaseMs: number): true | undefined {
  if (state.worker && state.worker.instance !== instance && Date.parse(state.worker.until) > at) return undefined;
  state.worker = { instance, until: new Date(at + leaseMs).toISOString() };
  return true;
}

/** Put a pull request's head at the end of the queue. */
export function addEntry(state: QueueState, fields: { pull: number; head: CommitId; queuedBy: string; source: string; now: string }): QueueEntry {
  const entry: QueueEntry = {
    id: state.next_id++,
    pull: fields.pull,
    head: fields.head,
    state: 'queued',
    queued_by: fields.queuedBy,
    queued_at: fields.now,
    source: fields.source,
    attempts: 0,
    departure: null,
    reason: null,
    commit: null,
    finished_at: null,
    finished_by: null,
    reported: false,
  };
  state.entries.push(entry);
  prune(state);
  return entry;
}

/** The entries a landing lands: a batch's, or its one entry. */
export function landingEntries(landing: Landing): number[] {
  return landing.entries ?? [landing.entry];
}

/** The ids waiting, in queue order (what the batch plan plans over). */
export function queuedIds(state: QueueState): number[] {
  return queuedEntries(state).map((entry) => entry.id);
}

/** The bisection under way, or none. */
export function batchPlanOf(state: QueueState): BatchPlan {
  return state.bisection ?? { pending: [] };
}

/** Keep `plan` in the state, without the entries that left the queue; none at all once it is done. */
export function keepBatchPlan(state: QueueState, plan: BatchPlan): void {
  const pruned = prunePlan(plan, queuedIds(state));
  if (pruned.pending.length > 0) state.bisection = { pending: pruned.pending.map((group) => [...group]) };
  else delete state.bisection;
}

/**
 * Take an entry out of the queue, merged or not, to be reported (the core's
 * removal: a landing it is part of is forgotten, the bisection forgets it).
 */
export function finishEntry(
  state: QueueState,
  id: number,
  outcome: { departure: Departure; reason: string; commit?: CommitId | null; by?: string; now: string },
): QueueEntry {
  if (entryById(state, id).state !== 'queued') throw new Error(`queue entry ${id} already left the queue`);
  const transition = removeFromQueue(machineOf(state), id, { departure: outcome.departure, reason: outcome.reason, commit: outcome.commit ?? null });
  return applyTransition(state, transition!, { now: outcome.now, by: outcome.by })[0]!;
}

/** The state as the queue core sees it: the entries waiting, their lost landings, the bisection, the landing. */
export function machineOf(state: QueueState): QueueMachineState {
  const queued = queuedEntries(state);
  return {
    queued: queued.map((entry) => entry.id),
    lostRaces: Object.fromEntries(queued.map((entry) => [entry.id, entry.attempts])),
    plan: batchPlanOf(state),
    landing: state.landing ? { entries: landingEntries(state.landing), onto: state.landing.onto, candidate: state.landing.candidate } : null,
  };
}

/**
 * Write a transition of the queue core into the state: the entries leaving (with
 * the command that took them out, if one did), lost landings counted, the landing
 * (a new one stamped `now`), the bisection. Returns the entries that left.
 */
export function applyTransition(state: QueueState, transition: Transition, fields: { now: string; by?: string }): QueueEntry[] {
  const left = transition.leaving.map((leaving) => {
    const entry = leaveQueue(entryById(state, leaving.id), leaving.departure, { reason: leaving.reason, commit: leaving.commit, now: fields.now });
    entry.finished_by = fields.by ?? null;
    return entry;
  });
  for (const [id, lost] of Object.entries(transition.state.lostRaces)) {
    const entry = state.entries.find((e) => e.id === Number(id));
    if (entry) entry.attempts = lost;
  }
  state.landing = landingRecord(state.landing, transition.state.landing, fields.now);
  keepBatchPlan(state, transition.state.plan);
  return left;
}

/** The core's landing as the state records it: the one recorded already, or a new one (one `entry`, and `entries` for a batch). */
function landingRecord(recorded: Landing | null, landing: MachineLanding | null, now: string): Landing | null {
  if (!landing) return null;
  if (recorded && recorded.candidate === landing.candidate) return recorded;
  const [first, ...more] = landing.entries;
  return { entry: first!, ...(more.length > 0 ? { entries: [...landing.entries] } : {}), onto: landing.onto, candidate: landing.candidate, started_at: now };
}

export function entryById(state: QueueState, id: number): QueueEntry {
  const entry = state.entries.find((e) => e.id === id);
  if (!entry) throw new Error(`no queue entry ${id}`);
  return entry;
}

function prune(state: QueueState): void {
  const finished = state.entries.filter((entry) => entry.state !== 'queued' && entry.reported);
  const drop = new Set(finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED)).map((entry) => entry.id));
  if (drop.size > 0) state.entries = state.entries.filter((entry) => !drop.has(entry.id));
}
