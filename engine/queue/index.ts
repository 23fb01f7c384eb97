/** The local merge queue: land queued branches on the default branch only as commits that passed every check. */
export { addToQueue, listQueue, runQueue, QueueBusyError, CANDIDATE_REF_PREFIX, type RunQueueOptions, type QueueRunReport, type QueueListing, type TestedCandidate, type OutcomeHook } from './merge-queue.js';
export { checkCandidate, buildCandidate, contains, type CandidateCommitStyle, type CandidateCheck, type CandidateVerdict, type CandidatePart, type BuiltCandidate } from './candidate.js';
export { QueueStateStore, type QueueState, type QueueEntry, type Landing } from './queue-state.js';
export { DEPARTURES, MERGED_DEPARTURES, QUEUE_ENTRY_STATES, outcomeOf, stateAfter, leaveQueue, type QueueEntryCore, type Departure, type QueueEntryState, type QueueOutcome } from './outcome.js';
export { EMPTY_PLAN, isBatchSize, nextGroup, prunePlan, recordResult, bisectionBound, type BatchPlan, type GroupResult, type PlanStep } from './batch-plan.js';
export { nextStep, foldResult, removeFromQueue, checkPolicy, judgeReports, checksMadeWorse, type QueueMachineState, type QueuePolicy, type QueueStep, type StepResult, type Transition, type Leaving, type MachineLanding } from './queue-machine.js';
