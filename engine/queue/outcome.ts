/**
 * The merge queue's one vocabulary, shared by the local queue (`dgit queue`) and
 * the GitHub App's: where an entry stands, why it left the queue, and what that
 * means for whoever queued it.
 */

/** Where a queued branch or pull request stands. */
export const QUEUE_ENTRY_STATES = ['queued', 'merged', 'dequeued'] as const;
export type QueueEntryState = (typeof QUEUE_ENTRY_STATES)[number];

/** Why an entry left the queue. */
export const DEPARTURES = [
  'merged', // the tested merge is the default branch now
  'already-merged', // its head was in the default branch already
  'merged-elsewhere', // the pull request was merged outside the queue
  'conflict', // the data merge with the default branch conflicts
  'checks-failed', // the checks failed on the merged result
  'invalid-config', // dgit.yml cannot be read on the merged result
  'lost-race', // the default branch kept moving under the queue
  'new-push', // commits were pushed to the pull request while it was queued
  'closed', // the pull request was closed
  'wrong-base', // it targets another branch than the default one (or is the default branch)
  'head-missing', // its head commit could not be found or fetched (a branch deleted meanwhile)
  'removed', // a maintainer took it out (`/dgit dequeue`, the label removed)
  'needs-review', // a heal proposal marked for review that no person has approved (engine/heal/review.ts)
] as const;
export type Departure = (typeof DEPARTURES)[number];

/** Departures that mean the entry's head is in the default branch. */
export const MERGED_DEPARTURES: ReadonlySet<Departure> = new Set(['merged', 'already-merged', 'merged-elsewhere']);

/**
 * How an entry left, for hooks and the incident memory: landed; refused on its
 * data (a conflict, a failing check); or left without a verdict on its data
 * (not testable, gone, withdrawn).
 */
export type QueueOutcome = 'merged' | 'rejected' | 'failed';

/** The outcome a departure means. */
export function outcomeOf(departure: Departure): QueueOutcome {
  if (MERGED_DEPARTURES.has(departure)) return 'merged';
  return departure === 'conflict' || departure === 'checks-failed' ? 'rejected' : 'failed';
}

/** The state an entry is in after it left with `departure`. */
export function stateAfter(departure: Departure): Exclude<QueueEntryState, 'queued'> {
  return MERGED_DEPARTURES.has(departure) ? 'merged' : 'dequeued';
}

/** What every queue entry holds, in the local queue's state file and in the GitHub App's state ref. */
export interface QueueEntryCore {
  id: number;
  state: QueueEntryState;
  departure: Departure | null;
  reason: string | null;
  commit: string | null;
  finished_at: string | null;
  reported: boolean;
}

/**
 * Take an entry out of the queue: the one transition by which entries of both
 * backends leave it (merged or not), to be reported once (`reported` false until
 * the outcome was published). An entry leaves only once.
 */
export function leaveQueue<E extends QueueEntryCore>(entry: E, departure: Departure, fields: { reason: string | null; commit: E['commit']; now: string }): E {
  if (entry.state !== 'queued') throw new Error(`queue entry ${entry.id} already left the queue`);
  entry.state = stateAfter(departure);
  entry.departure = departure;
  entry.reason = fields.reason;
  entry.commit = fields.commit;
  entry.finished_at = fields.now;
  entry.reported = false;
  return entry;
}
