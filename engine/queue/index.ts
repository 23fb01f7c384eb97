/** The local merge queue: land queued branches on the default branch only as commits that passed every check. */
export { addToQueue, listQueue, runQueue, QueueBusyError, CANDIDATE_REF_PREFIX, type RunQueueOptions, type QueueRunReport, type QueueListing, type TestedCandidate, type OutcomeHook } from './merge-queue.js';
export { checkCandidate, buildCandidate, type CandidateCheck, type CandidateVerdict, type CandidatePart, type BuiltCandidate } from './candidate.js';
export { QueueStateStore, type QueueState, type QueueEntry, type QueueEntryState, type QueueOutcome, type Landing } from './queue-state.js';
