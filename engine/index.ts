/**
 * dgit's library API: what the CLI, the bot and the MCP server call (they import
 * nothing else from `engine/`; test/architecture enforces it).
 *
 * Importing this file must stay cheap: `dgit --version` loads it. So it holds
 * - types (free at run time),
 * - static exports of light modules only (errors, small pure helpers with no
 *   dependency beyond node: builtins),
 * - typed lazy wrappers for every use case: the real module (DuckDB, Arrow,
 *   Parquet, isomorphic-git, zod) loads on the first call,
 * - `loadSyncApi()` for the synchronous helpers that live in heavy modules
 *   (zod schemas, parsers, constants of the storage layout).
 */

/** An async function whose module loads on the first call; same type as the real one. */
function lazy<F extends (...args: never[]) => Promise<unknown>>(load: () => Promise<F>): F {
  const call = async (...args: Parameters<F>): Promise<unknown> => {
    const real = (await load()) as unknown as (...a: Parameters<F>) => Promise<unknown>;
    return real(...args);
  };
  return call as unknown as F;
}

// ---------------------------------------------------------------------------
// Errors and light helpers (static: cheap)
// ---------------------------------------------------------------------------
export * from './errors/index.js';
export { ConfigError, formatConfigIssue, formatConfigPath, type ConfigIssue, type ConfigPath } from './config/config-error.js';
export { RemoteError, remoteError, type RemoteFailure } from './remote/remote-error.js';
export { parseRemoteUrl, redactUrl, defaultCloneDirectory, type RemoteUrl } from './remote/remote-url.js';
export { CredentialProvider, TOKEN_USERNAME, type Credentials, type CredentialSource } from './remote/credentials.js';
export { toJsonValue, rowToJson, compareKeys, compareValues, formatDate, formatTimestamp, type Row, type Value } from './value/value.js';
export { quoteIdentifier, quoteString, trimDuckdbMessage } from './sql/sql-text.js';
export { csvField, csvHeader, csvLine, ndjsonLine } from './export/row-text.js';
export { parseTree, serializeTree, parseCommit, type TreeEntry, type Commit, type Signature } from './store/git-objects.js';
export { readFileIfExists, writeFileAtomic } from './store/atomic-file.js';
export { filesUnder } from './store/files-under.js';
export { checkedColumns, type ConfigLiteral, type ConfiguredCheck, type RowCountChange } from './config/configured-check.js';

// ---------------------------------------------------------------------------
// Types of the use cases' inputs and results
// ---------------------------------------------------------------------------
export type { Repository, Revision, WorkingSet } from './repository/repository.js';
export type { RevisionSession } from './repository/revision-views.js';
export type { DuckDbSession } from './sql/duckdb-session.js';
export { distinctNames, plainJsonValue, selectJson, type SelectJson } from './sql/select-json.js';
export type { CommitId } from './store/revision.js';
export type { Progress, ProgressEvent } from './progress.js';
export type { ObjectId, ObjectStore, ObjectType } from './store/object-store.js';
export type { TableSchema, Column, ChunkingParameters } from './schema/schema.js';
export type { ColumnType } from './schema/types.js';
export type { Manifest, ChunkEntry, ChunkId } from './chunking/manifest.js';
export type { TableVersion, ChunkReader, ChunkWriter, RowEdits } from './table/table-version.js';
export type { EditCounts } from './table/apply-edits.js';
export type { ImportMode, ImportOptions, ImportResult } from './commands/import.js';
export type { SourceFormat } from './import/source.js';
export type { ExportFormat } from './export/export-table.js';
export type { CommitOptions, CommitResult } from './commands/commit.js';
export type { LogEntry } from './commands/log.js';
export type { TableInfo } from './commands/tables.js';
export type { BranchInfo } from './commands/branch.js';
export type { StatusReport } from './commands/status.js';
export type { SqlResult } from './commands/sql.js';
export type { DiffRevisionsOptions } from './commands/diff.js';
export type { Resolution } from './commands/conflicts.js';
export type { MergeGate, MergeOptions, MergeOutcome, CommitMerge } from './commands/merge.js';
export type { TableConflicts, MergeState } from './workingset/merge-state.js';
export type { DiffReport, NamedTableDiff } from './diff/diff-report.js';
export type { DiffOptions, DiffStat, TableDiff, TableStatus, AddedRow, DeletedRow, DiffColumn, ModifiedRow, RowChange, RowStatus, DiffCounter, ColumnChangeCount, DiffSummary, ColumnChange, SchemaChanges } from './diff/index.js';
export type { RunChecksOptions, CheckReport, CheckResult, CheckSample, CheckScope, CheckObservation } from './checks/index.js';
export type { LoadedConfig, CheckKind, Severity } from './config/index.js';
export type { HealOptions, HealReport, HealIncident, HealAttempt, ProposeOptions, ProposeResult, FixPatch, PatchEdit, PatchOp, ParsedPatch, TableChange, ResolvedEdit, ChangeExtent, PolicyViolationError } from './heal/index.js';
export type { EvidenceOptions, FailingRowEvidence, RowEvidence } from './heal/evidence.js';
export type { Incident, IncidentOutcome, KnownIncident, CheckHistory } from './incidents/index.js';
export type { RunQueueOptions, QueueRunReport, QueueListing, TestedCandidate, OutcomeHook, CandidateCheck, CandidateVerdict, CandidatePart, BuiltCandidate, QueueState, QueueEntry, QueueEntryState, QueueOutcome, Landing, QueueBusyError } from './queue/index.js';
export type { CloneOptions, CloneOutcome, FetchOptions, FetchOutcome, TrackingRefUpdate, PullOptions, PullOutcome, PushOptions, PushOutcome, Remote, TransferCounts, TransferOptions, TransferProgress } from './remote/index.js';

// ---------------------------------------------------------------------------
// Repositories
// ---------------------------------------------------------------------------
/** Open the dgit repository at (or above) `dir`. */
export const openRepository = lazy(async () => {
  const { Repository } = await import('./repository/repository.js');
  return (dir: string) => Repository.open(dir);
});
/** Create a dgit repository in `dir` (or adopt the git repository there). */
export const initRepository = lazy(async () => {
  const { Repository } = await import('./repository/repository.js');
  return (dir: string, options: { initialBranch?: string } = {}) => Repository.init(dir, options);
});
/** The tables of a revision as DuckDB views, for read-only queries. */
export const openRevisionSession = lazy(async () => (await import('./repository/revision-views.js')).openRevisionSession);

// ---------------------------------------------------------------------------
// Use cases (lazy: the module loads on the first call)
// ---------------------------------------------------------------------------
/** Load rows from a file into the working set. */
export const importTable = lazy(async () => (await import('./commands/import.js')).importTable);
/** Write a table at a revision to a file, '-' or a stream. */
export const exportTable = lazy(async () => (await import('./commands/export.js')).exportTable);
/** One SQL statement: SELECT reads a revision, INSERT/UPDATE/DELETE edit the working set. */
export const runSql = lazy(async () => (await import('./commands/sql.js')).runSql);
/** Commit the working set of the current branch. */
export const commit = lazy(async () => (await import('./commands/commit.js')).commit);
/** The commits reachable from a revision, newest first. */
export const log = lazy(async () => (await import('./commands/log.js')).log);
/** One commit and its data diff against its first parent. */
export const show = lazy(async () => (await import('./commands/show.js')).show);
/** The branch, the merge in progress and the changes of the working set. */
export const status = lazy(async () => (await import('./commands/status.js')).status);
/** The tables of a revision with row counts and keys. */
export const listTables = lazy(async () => (await import('./commands/tables.js')).listTables);
/** Branches, tags and moving the current branch. */
export const listBranches = lazy(async () => (await import('./commands/branch.js')).listBranches);
export const createBranch = lazy(async () => (await import('./commands/branch.js')).createBranch);
export const deleteBranch = lazy(async () => (await import('./commands/branch.js')).deleteBranch);
export const switchBranch = lazy(async () => (await import('./commands/branch.js')).switchBranch);
export const createTag = lazy(async () => (await import('./commands/branch.js')).createTag);
export const resetHard = lazy(async () => (await import('./commands/branch.js')).resetHard);
/** Which two revisions `dgit diff REVS` compares (git's rules). */
export const diffEnds = lazy(async () => {
  const { diffEnds: ends } = await import('./commands/diff.js');
  return async (revs: string[]) => ends(revs);
});
/** The data diff between two revisions (tables, rows, cells, schemas). */
export const diffRevisions = lazy(async () => (await import('./commands/diff.js')).diffRevisions);
/** Row counts of the changes between two root trees, per table. */
export const diffTreeStats = lazy(async () => (await import('./commands/diff.js')).diffTreeStats);
/** Merge a revision into the current branch; continue or abort a merge in progress. */
export const merge = lazy(async () => (await import('./commands/merge.js')).merge);
export const continueMerge = lazy(async () => (await import('./commands/merge.js')).continueMerge);
export const abortMerge = lazy(async () => (await import('./commands/merge.js')).abortMerge);
/** The three-way merge of two commits into a tree, without touching any branch. */
export const mergeCommits = lazy(async () => (await import('./commands/merge.js')).mergeCommits);
/** The best common ancestor of two commits. */
export const mergeBase = lazy(async () => (await import('./commands/merge.js')).mergeBase);
/** The conflicts of the merge in progress, and resolving them. */
export const listConflicts = lazy(async () => (await import('./commands/conflicts.js')).listConflicts);
export const resolveConflicts = lazy(async () => (await import('./commands/conflicts.js')).resolveConflicts);
/** Run the checks of dgit.yml on a revision. */
export const runChecks = lazy(async () => (await import('./checks/run-checks.js')).runChecks);
/** Find failing checks, propose fixes on heal branches. */
export const heal = lazy(async () => (await import('./heal/heal.js')).heal);
/** Check and commit a fix patch on a new heal branch. */
export const propose = lazy(async () => (await import('./heal/propose.js')).propose);
/** A failing check's rows now and at the last revision where it passed: the evidence for a fix that restores. */
export const failingRowEvidence = lazy(async () => (await import('./heal/evidence.js')).failingRowEvidence);
/** Resolve a parsed patch against a table version. */
export const resolvePatch = lazy(async () => (await import('./heal/patch-resolution.js')).resolvePatch);
/** The incident memory: known incidents and recording their outcomes. */
export const listIncidents = lazy(async () => (await import('./incidents/incident-memory.js')).listIncidents);
export const recordIncidentOutcome = lazy(async () => (await import('./incidents/record-outcome.js')).recordIncidentOutcome);
/** The local merge queue. */
export const addToQueue = lazy(async () => (await import('./queue/merge-queue.js')).addToQueue);
export const listQueue = lazy(async () => (await import('./queue/merge-queue.js')).listQueue);
export const runQueue = lazy(async () => (await import('./queue/merge-queue.js')).runQueue);
/** Build and check a queue candidate (merge of a branch onto a base). */
export const checkCandidate = lazy(async () => (await import('./queue/candidate.js')).checkCandidate);
/** Whether commit `ancestor` is reachable from `tip`. */
export const contains = lazy(async () => (await import('./queue/candidate.js')).contains);
/** dgit.yml of a tree: parsed, or its text. */
export const readConfig = lazy(async () => (await import('./config/repository-config.js')).readConfig);
export const writeConfig = lazy(async () => (await import('./config/repository-config.js')).writeConfig);
export const readConfigText = lazy(async () => (await import('./config/repository-config.js')).readConfigText);
/** Remotes: configure, clone, fetch, pull, push. */
export const addRemote = lazy(async () => (await import('./remote/remote-config.js')).addRemote);
export const listRemotes = lazy(async () => (await import('./remote/remote-config.js')).listRemotes);
export const removeRemote = lazy(async () => (await import('./remote/remote-config.js')).removeRemote);
export const remoteUrl = lazy(async () => (await import('./remote/remote-config.js')).remoteUrl);
export const clone = lazy(async () => (await import('./remote/clone.js')).clone);
export const fetch = lazy(async () => (await import('./remote/fetch.js')).fetch);
export const pull = lazy(async () => (await import('./remote/pull.js')).pull);
export const push = lazy(async () => (await import('./remote/push.js')).push);

// ---------------------------------------------------------------------------
// Synchronous helpers of heavy modules (zod schemas, parsers, storage layout):
// `const { FixPatchSchema } = await loadSyncApi();`
// Storage (object store, refs, trees) is reached through it too, for the bot's
// queue state ref (its records; the decisions are engine/queue/queue-machine.ts).
// ---------------------------------------------------------------------------
/** Load the synchronous helpers; see engine/sync-api.ts. */
export const loadSyncApi = () => import('./sync-api.js');

// ---------------------------------------------------------------------------
// Trust and recovery: integrity of tables, fsck, the merge gate, state under refs/dgit/
// ---------------------------------------------------------------------------
export type { FsckProblem, FsckReport } from './integrity/fsck.js';
export type { IntegrityProblem, IntegrityScope } from './integrity/table-integrity.js';
/** Verify everything dgit relies on; say what is wrong and how to recover. */
export const fsck = lazy(async () => (await import('./integrity/fsck.js')).fsck);
/** Integrity of the tables of a tree (files the manifest does not list, manifests against chunks). */
export const verifyTables = lazy(async () => (await import('./integrity/table-integrity.js')).verifyTables);
/** Integrity problems of a revision as check results. */
export const integrityResults = lazy(async () => (await import('./integrity/check-integrity.js')).integrityResults);
/** The merge gate: the error-level checks of dgit.yml on a merge result. */
export const checksGate = lazy(async () => (await import('./commands/merge-gate.js')).checksGate);

// ---------------------------------------------------------------------------
// Merge queue core and the one lease push: the GitHub backend's ref reads and lease pushes
// ---------------------------------------------------------------------------
export type { SentRefUpdate } from './remote/index.js';
export { DEPARTURES, MERGED_DEPARTURES, QUEUE_ENTRY_STATES, leaveQueue, type Departure } from './queue/outcome.js';
// The queue core's batching and bisection (pure, light): the GitHub backend keeps its plan in its state ref.
export { EMPTY_PLAN, isBatchSize, nextGroup, prunePlan, recordResult, bisectionBound, type BatchPlan, type GroupResult, type PlanStep } from './queue/batch-plan.js';
// The queue core's state machine (pure, light): both backends ask it what to do next and fold the results back.
export {
  nextStep,
  foldResult,
  removeFromQueue,
  checkPolicy,
  judgeReports,
  type QueueMachineState,
  type QueuePolicy,
  type QueueStep,
  type StepResult,
  type Transition,
  type Leaving,
  type MachineLanding,
} from './queue/queue-machine.js';
/** Send one ref update with a lease (git's --force-with-lease), as `dgit push` does. */
export const sendRefUpdate = lazy(async () => (await import('./remote/push.js')).sendRefUpdate);
/** Where a ref of a remote points, and fetching or pushing one ref with a lease. */
export const remoteRefTarget = lazy(async () => (await import('./remote/remote-ref.js')).remoteRefTarget);
export const fetchRemoteRef = lazy(async () => (await import('./remote/remote-ref.js')).fetchRemoteRef);
export const pushRemoteRef = lazy(async () => (await import('./remote/remote-ref.js')).pushRemoteRef);
/** Build a queue candidate (the merge of a branch onto a base) without checking it. */
export const buildCandidate = lazy(async () => (await import('./queue/candidate.js')).buildCandidate);

// ---------------------------------------------------------------------------
// Healing from history: accepting an incident, reviewing marked proposals, type drift results
// ---------------------------------------------------------------------------
export type { SchemaDrift } from './checks/schema-drift.js';
export { INCIDENTS_TABLE, fixKindsText, resolutionOf, isOpenOutcome } from './incidents/incident-words.js';
export { readFixTrailers, parseFixKinds, type FixTrailers } from './heal/fix-trailers.js';
export type { FixProfile, FixProfileOptions, TableProfile, ColumnProfile, ColumnStats } from './heal/fix-profile.js';
export type { ShownCommit, ShownFix } from './commands/show.js';
/** Before/after profile (nulls, distinct, min, max per column) of the rows a commit changed, from its diff. */
export const fixProfile = lazy(async () => (await import('./heal/fix-profile.js')).fixProfile);
/** Accept the new state of a failing check: the incident closes, recorded with who and why. */
export const acceptIncident = lazy(async () => (await import('./incidents/accept.js')).acceptIncident);
/** Approve a proposal marked for review, so the queue may land it. */
export const approveProposal = lazy(async () => (await import('./heal/review.js')).approveProposal);
/** Why the queue may not land a branch unreviewed, or undefined. */
export const reviewBlocks = lazy(async () => (await import('./heal/review.js')).reviewBlocks);

// ---------------------------------------------------------------------------
// Chunks in object storage (S3), `dgit files` and `dgit gc` (engine/chunkstore)
// ---------------------------------------------------------------------------
export type { ChunkStoreLocation, ChunkStoreChange, TableFiles, GcOptions, GcOutcome, ChunkUpload } from './chunkstore/index.js';
/** Start keeping a repository's chunks in an S3 bucket (recorded in dgit.yml). */
export const useChunkStore = lazy(async () => (await import('./chunkstore/chunk-store-setting.js')).useChunkStore);
/** The chunk files or URLs of a table at a revision. */
export const tableFiles = lazy(async () => (await import('./chunkstore/table-files.js')).tableFiles);
/** Delete unreferenced chunks from the bucket after the grace period. */
export const collectGarbage = lazy(async () => (await import('./chunkstore/chunk-gc.js')).collectGarbage);
/** The S3 client of a chunk store location. */
export const remoteChunkStore = lazy(async () => (await import('./chunkstore/chunk-source.js')).remoteChunkStore);

// Schema evolution: DDL runs through runSql; its result shape.
export type { DdlResult, DdlChange } from './commands/sql-ddl.js';
