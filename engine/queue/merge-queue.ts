import fs from 'node:fs';
import { filesUnder } from '../store/files-under.js';
import path from 'node:path';
import git from 'isomorphic-git';
import type { Progress } from '../progress.js';
import { syncBranchFiles } from '../commands/sync-branch-files.js';
import { DgitError, UsageError } from '../errors/index.js';
import type { Repository } from '../repository/repository.js';
import { checkBranchName } from '../store/ref-store.js';
import type { CommitId } from '../store/revision.js';
import { EMPTY_TREE } from '../table/root-tree.js';
import { buildCandidate, checkCandidate, contains, type CandidateCheck, type CandidatePart } from './candidate.js';
import { ProcessLock, type LockHolder } from '../store/process-lock.js';
import { EMPTY_PLAN, isBatchSize } from './batch-plan.js';
import { checkPolicy, foldResult, nextStep, type MachineLanding, type QueueMachineState, type QueuePolicy, type StepResult } from './queue-machine.js';
import { leaveQueue, outcomeOf, type Departure, type QueueOutcome } from './outcome.js';
import { QueueStateStore, type Landing, type QueueEntry, type QueueState } from './queue-state.js';
import { reviewBlocks } from '../heal/review.js';

/** Where a run keeps the candidate it is testing, so it stays reachable (and visible to git) until judged. */
export const CANDIDATE_REF_PREFIX = 'refs/dgit/queue/tmp';

/** Called once an entry leaves the queue (at least once: a crash before it is marked reported calls it again on the next run). */
export type OutcomeHook = (entry: QueueEntry, outcome: QueueOutcome, reason: string) => Promise<void>;

export interface RunQueueOptions {
  /** Test up to this many branches merged together; a failing batch is split in halves until the culprits are found (default 1). */
  batch?: number;
  onOutcome?: OutcomeHook;
  /** How a candidate is judged (default: every check of its dgit.yml). */
  check?: CandidateCheck;
  /** Rebuilds allowed after losing the race for the default branch, per group (default 20). */
  maxRetries?: number;
  /** Told as queued entries leave the queue. */
  progress?: Progress;
}

/** One candidate the run judged. */
export interface TestedCandidate {
  commit: CommitId;
  onto: CommitId | null;
  entries: number[];
  passed: boolean;
  reason: string | null;
}

/** What `queue run` did. */
export interface QueueRunReport {
  default_branch: string;
  before: CommitId | null;
  after: CommitId | null;
  /** Entries whose landing an interrupted run had completed, finished now. */
  recovered: number[];
  tested: TestedCandidate[];
  outcomes: Array<{ id: number; branch: string; outcome: QueueOutcome; departure: Departure | null; reason: string; commit: CommitId | null }>;
  /** Things that did not stop the run: a working directory that could not follow, a hook that threw. */
  warnings: string[];
}

/** The queue as `queue list` shows it. */
export interface QueueListing {
  default_branch: string;
  entries: QueueEntry[];
  landing: Landing | null;
}

/** Another `queue run` holds the run lock. */
export class QueueBusyError extends DgitError {
  constructor(lockFile: string, holder: LockHolder | undefined) {
    super(
      'CONCURRENT_UPDATE',
      holder
        ? `another \`dgit queue run\` is running (pid ${holder.pid} on ${holder.host}, since ${holder.since}); try again when it finishes`
        : `the merge queue run lock is unreadable (remove ${lockFile} if no queue run is active)`,
      lockFile,
      { retryable: true },
    );
    this.name = 'QueueBusyError';
  }
}

/** Put a branch at the end of the queue onto the default branch. */
export async function addToQueue(repository: Repository, branch: string): Promise<QueueEntry> {
  checkBranchName(branch);
  if (!(await repository.branchHead(branch))) throw await repository.unknownBranch(branch);
  const defaultBranch = await repository.defaultBranch();
  if (branch === defaultBranch) throw new UsageError(`${branch} is the default branch the queue merges into; queue the branches to merge into it`, branch);
  return new QueueStateStore(repository.gitdir).update((state) => {
    const queued = state.entries.find((e) => e.branch === branch && e.state === 'queued');
    if (queued) throw new DgitError('ALREADY_EXISTS', `${branch} is already queued (#${queued.id})`, branch);
    const entry: QueueEntry = {
      id: state.next_id++,
      branch,
      state: 'queued',
      departure: null,
      outcome: null,
      reason: null,
      added_at: new Date().toISOString(),
      finished_at: null,
      head: null,
      commit: null,
      reported: false,
    };
    state.entries.push(entry);
    return entry;
  });
}

/** Every entry, queued and finished, in the order they were added. */
export async function listQueue(repository: Repository): Promise<QueueListing> {
  const state = new QueueStateStore(repository.gitdir).read();
  return { default_branch: await repository.defaultBranch(), entries: state.entries, landing: state.landing };
}

/**
 * Land the queued branches on the default branch, oldest first, keeping it green:
 * each group (one branch, or `batch` of them) is merged onto the default branch's
 * latest commit in a candidate ref, checked there, and the default branch moves to
 * exactly that commit by compare-and-swap from the commit it was merged onto; a
 * lost race rebuilds the group on the new head. A conflict or failing check drops
 * a lone branch with its reason, or splits a batch in halves (bors' bisection)
 * so the good branches still land. Only one run at a time (a run lock that a dead
 * run does not hold); a run interrupted at any point is finished by the next.
 */
export async function runQueue(repository: Repository, options: RunQueueOptions = {}): Promise<QueueRunReport> {
  const batch = options.batch ?? 1;
  if (!isBatchSize(batch)) throw new UsageError(`--batch takes a whole number of at least 1, not ${batch}`, '--batch');
  const lockFile = path.join(repository.gitdir, 'dgit', 'queue.run.lock');
  const lock = ProcessLock.tryAcquire(lockFile);
  if (!(lock instanceof ProcessLock)) throw new QueueBusyError(lockFile, lock.holder);
  try {
    const run = new QueueRun(repository, await repository.defaultBranch(), options, batch);
    return await run.run();
  } finally {
    lock.release();
  }
}

/** How long an empty `<branch>.lock` must stay unchanged before a recovering run calls it stale. */
const STALE_EMPTY_LOCK_MS = 2000;

/** Remove `*.lock` files under a folder of refs (only queue runs write there, and the caller holds the run lock). */
function removeLockFiles(dir: string): void {
  for (const file of filesUnder(dir)) if (file.endsWith('.lock')) fs.rmSync(path.join(dir, file), { force: true });
}

function landingOf(parts: CandidatePart[], onto: CommitId | undefined, candidate: CommitId): Landing {
  return {
    entries: parts.map((p) => p.id),
    onto: onto ?? null,
    candidate,
    heads: Object.fromEntries(parts.map((p) => [String(p.id), p.head])),
    started_at: new Date().toISOString(),
  };
}

/** The queue core's view of a landing recorded in the state file. */
function machineLanding(landing: Landing): MachineLanding {
  return { entries: landing.entries, onto: landing.onto, candidate: landing.candidate };
}

/** The entries waiting, in queue order. */
function queuedIds(state: QueueState): number[] {
  return state.entries.filter((e) => e.state === 'queued').map((e) => e.id);
}

/** A landing this run recorded and is about to carry out: the state file's record, and the candidate's ref. */
interface InFlight {
  landing: Landing;
  ref: string;
}

/**
 * One `queue run`, holding the run lock: the queue core (./queue-machine.ts) says
 * what to do next and what each result does to the queue; this run does the I/O
 * (branches, candidates, the compare-and-swap, the state file, the working
 * directory, the hook). A group, once chosen, stays the group until its test ends
 * (`group: 'kept'`), and losing the race for the default branch `maxRetries` + 1
 * times stops the run with its entries still queued (`racesExhausted: 'stop'`).
 */
class QueueRun {
  private readonly store: QueueStateStore;
  private readonly check: CandidateCheck;
  private readonly report: QueueRunReport;
  private readonly hookAttempted = new Set<number>();
  private readonly policy: QueuePolicy;
  private inFlight: InFlight | undefined;

  constructor(
    private readonly repository: Repository,
    private readonly defaultBranch: string,
    private readonly options: RunQueueOptions,
    batch: number,
  ) {
    this.store = new QueueStateStore(repository.gitdir);
    this.check = options.check ?? checkCandidate;
    this.report = { default_branch: defaultBranch, before: null, after: null, recovered: [], tested: [], outcomes: [], warnings: [] };
    this.policy = checkPolicy({ batch, maxLostRaces: (options.maxRetries ?? 20) + 1, racesExhausted: 'stop', group: 'kept' });
  }

  /**
   * Take the steps the queue core names until it is idle: a batch of the first
   * `batch` queued entries, its halves when it fails, and so on until every entry
   * of the batch left the queue; hooks are told at each batch's end.
   */
  async run(): Promise<QueueRunReport> {
    this.report.before = (await this.head()) ?? null;
    await this.recover();
    await this.reportOutcomes();
    const total = queuedIds(this.store.read()).length;
    let machine: QueueMachineState = { queued: [], lostRaces: {}, plan: EMPTY_PLAN, landing: null };
    for (;;) {
      // `queue add` may have appended entries meanwhile.
      machine = { ...machine, queued: queuedIds(this.store.read()) };
      if (machine.plan.pending.length === 0 && !machine.landing) this.options.progress?.({ phase: 'Landing queued branches', done: total - machine.queued.length, total, unit: 'branches' });
      const step = nextStep(machine, this.policy);
      if (step.kind === 'idle') break;
      if (step.kind === 'stop')
        throw new DgitError('CONCURRENT_UPDATE', `${this.defaultBranch} kept moving while the queue tried to land #${step.group[0]!}; run the queue again`, this.defaultBranch, { retryable: true });
      machine = step.kind === 'land' ? await this.land(machine, step.landing) : await this.apply(machine, ...(await this.test(step.group)));
      if (machine.plan.pending.length === 0 && !machine.landing) await this.reportOutcomes();
    }
    this.report.after = (await this.head()) ?? null;
    return this.report;
  }

  private head(): Promise<CommitId | undefined> {
    return this.repository.branchHead(this.defaultBranch);
  }

  /**
   * Fold a result into the queue and write what it means into the state file:
   * who left (with the branch commit the queue judged, from `heads`) and the
   * landing in flight, in one update (so a crash leaves the one or the other).
   */
  private async apply(machine: QueueMachineState, result: StepResult, heads: Record<string, CommitId> = {}): Promise<QueueMachineState> {
    const transition = foldResult(machine, result, this.policy);
    if (!transition) throw new DgitError('INTERNAL', `the merge queue's ${result.kind} result does not fit its state`, this.defaultBranch);
    const now = new Date().toISOString();
    await this.store.update((state) => {
      for (const leaving of transition.leaving) {
        const entry = state.entries.find((e) => e.id === leaving.id);
        if (!entry || entry.state !== 'queued') continue;
        leaveQueue(entry, leaving.departure, { reason: leaving.reason, commit: leaving.commit, now });
        Object.assign(entry, { outcome: outcomeOf(leaving.departure), head: heads[String(entry.id)] ?? null });
      }
      if (transition.state.landing) state.landing = this.inFlight!.landing;
      else if (machine.landing) state.landing = null;
    });
    return transition.state;
  }

  /**
   * Finish what an interrupted run left: a landing whose compare-and-swap happened
   * (the default branch contains its candidate) marks its entries merged and lets
   * the working directory catch up; one whose swap never happened is forgotten and
   * its entries are tested again. Candidate refs left behind are removed.
   */
  private async recover(): Promise<void> {
    const state = this.store.read();
    const landing = state.landing;
    removeLockFiles(path.join(this.repository.gitdir, CANDIDATE_REF_PREFIX));
    if (landing) {
      await this.releaseBranchLockOf(landing);
      const head = await this.head();
      const landed = head !== undefined && (await contains(this.repository, head, landing.candidate));
      if (landed && head === landing.candidate) await this.followInWorktree(landing.onto, landing.candidate);
      const found = machineLanding(landing);
      const machine: QueueMachineState = { queued: queuedIds(state), lostRaces: {}, plan: EMPTY_PLAN, landing: found };
      await this.apply(machine, landed ? { kind: 'landed', landing: found, reason: null } : { kind: 'abandoned', landing: found }, landing.heads);
      if (landed) this.report.recovered.push(...landing.entries);
    }
    for (const ref of await this.candidateRefs()) await this.deleteRef(ref);
  }

  /**
   * A run killed inside its compare-and-swap leaves git's `<branch>.lock`, which
   * would block every later move, as it blocks git. It is the dead run's when it
   * holds the landing's candidate (written just before the rename), or when it is
   * still empty and unchanged after a wait no live writer needs (git writes the
   * lock right after creating it); anyone else's lock is left alone.
   */
  private async releaseBranchLockOf(landing: Landing): Promise<void> {
    const lock = path.join(this.repository.gitdir, 'refs', 'heads', ...this.defaultBranch.split('/')) + '.lock';
    const read = () => {
      try {
        return { content: fs.readFileSync(lock, 'utf8'), mtime: fs.statSync(lock).mtimeMs };
      } catch {
        return undefined;
      }
    };
    const first = read();
    if (!first) return;
    if (first.content === `${landing.candidate}\n`) return void fs.rmSync(lock, { force: true });
    if (first.content !== '') return;
    await new Promise((resolve) => setTimeout(resolve, STALE_EMPTY_LOCK_MS));
    const later = read();
    if (later && later.content === '' && later.mtime === first.mtime) fs.rmSync(lock, { force: true });
  }

  /**
   * Test a group of queued entries: build its candidate on the default branch's
   * latest commit and check it. Entries that cannot be tested (a missing branch, a
   * review still owed, a conflict of the first branch with the default branch
   * itself) come back as `untestable`; a passing candidate is kept in its ref, to
   * be landed by the next step. Returns the result with each entry's branch commit.
   */
  private async test(ids: number[]): Promise<[StepResult, Record<string, CommitId>]> {
    await this.guardDefaultBranch();
    const entries = this.store.read().entries.filter((e) => ids.includes(e.id) && e.state === 'queued');
    const parts: CandidatePart[] = [];
    const untestable: { id: number; departure: Departure; reason: string }[] = [];
    for (const entry of entries) {
      const head = entry.branch === this.defaultBranch ? undefined : await this.repository.branchHead(entry.branch);
      if (head) parts.push({ id: entry.id, branch: entry.branch, head });
      else if (entry.branch === this.defaultBranch) untestable.push({ id: entry.id, departure: 'wrong-base', reason: 'it is the default branch' });
      else untestable.push({ id: entry.id, departure: 'head-missing', reason: `branch ${entry.branch} no longer exists` });
    }
    const heads: Record<string, CommitId> = Object.fromEntries(parts.map((p) => [String(p.id), p.head]));
    if (untestable.length > 0) return [{ kind: 'untestable', group: ids, leaving: untestable }, {}];

    const onto = await this.head();
    // A proposal marked for review lands only once a person approved it (engine/heal/review.ts decides).
    const unreviewed = await firstUnreviewed(this.repository, parts, onto);
    if (unreviewed) return [{ kind: 'untestable', group: ids, leaving: [{ id: unreviewed.part.id, departure: 'needs-review', reason: unreviewed.reason }] }, heads];
    const built = await buildCandidate(this.repository, onto, parts, this.defaultBranch);
    if (built.kind === 'conflict') {
      // A branch that conflicts with the default branch itself is the culprit; later in a batch, it may be the interplay.
      if (built.index === 0) return [{ kind: 'untestable', group: ids, leaving: [{ id: parts[0]!.id, departure: 'conflict', reason: built.reason }] }, heads];
      return [{ kind: 'failed', group: ids, departure: 'conflict', reason: built.reason }, heads];
    }

    const candidate = built.commit;
    // Every branch of the group is in the default branch already (merged by hand, or part of an earlier landing).
    if (candidate === onto) return [{ kind: 'contained', group: ids, onto, reason: `already in ${this.defaultBranch}` }, heads];
    const ref = `${CANDIDATE_REF_PREFIX}/${parts[0]!.id}`;
    await this.setRef(ref, candidate);
    const verdict = await this.check(this.repository, candidate, onto);
    this.report.tested.push({ commit: candidate, onto: onto ?? null, entries: parts.map((p) => p.id), passed: verdict.passed, reason: verdict.passed ? null : verdict.reason });
    if (!verdict.passed) {
      await this.deleteRef(ref);
      return [{ kind: 'failed', group: ids, departure: verdict.departure, reason: verdict.reason }, heads];
    }

    // The user may have started changing the default branch while the checks ran.
    await this.guardDefaultBranch();
    this.inFlight = { landing: landingOf(parts, onto, candidate), ref };
    return [{ kind: 'passed', group: ids, onto: onto ?? null, candidate }, heads];
  }

  /**
   * Carry out the landing this run recorded: move the default branch to the
   * candidate by compare-and-swap from the commit it was merged onto. A lost race
   * forgets the landing (the core has the group built again on the new head).
   */
  private async land(machine: QueueMachineState, landing: MachineLanding): Promise<QueueMachineState> {
    const inFlight = this.inFlight;
    if (!inFlight || inFlight.landing.candidate !== landing.candidate) throw new DgitError('INTERNAL', `the merge queue has no candidate ${landing.candidate} of its own to land`, this.defaultBranch);
    const moved = await this.swap(landing.onto ?? undefined, landing.candidate).catch(async (error: unknown) => {
      await this.store.update((state) => void (state.landing = null));
      throw error;
    });
    if (moved) await this.followInWorktree(landing.onto, landing.candidate);
    const result: StepResult = moved ? { kind: 'landed', landing, reason: null } : { kind: 'lost-race', landing, branch: this.defaultBranch };
    const after = await this.apply(machine, result, inFlight.landing.heads);
    this.inFlight = undefined;
    await this.deleteRef(inFlight.ref);
    return after;
  }

  /**
   * Move the default branch from `onto` to `candidate`. False when another writer
   * moved it first; a lock held on an unmoved branch is waited for a little.
   */
  private async swap(onto: CommitId | undefined, candidate: CommitId): Promise<boolean> {
    for (let wait = 5; ; wait *= 2) {
      try {
        await this.repository.refs.compareAndSwap(`refs/heads/${this.defaultBranch}`, onto, candidate);
        return true;
      } catch (error) {
        if (!(error instanceof DgitError && error.code === 'CONCURRENT_UPDATE')) throw error;
        if ((await this.head()) !== onto) return false;
        if (wait > 2000) throw error; // a lock file nobody releases, as git would report it
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  }

  /**
   * The queue moves the default branch under whoever has it checked out, so it
   * refuses to when that would strand work: uncommitted changes on it (they were
   * made on the commit it is leaving) or a merge in progress into it.
   */
  private async guardDefaultBranch(): Promise<void> {
    const branch = this.defaultBranch;
    if (await this.repository.mergeInProgress(branch))
      throw new DgitError('MERGE_IN_PROGRESS', `a merge into ${branch} is in progress; finish it (\`dgit merge --continue\`) or abort it before \`dgit queue run\``, branch);
    const working = await this.repository.workingSet(branch);
    if (working.tree !== working.headTree)
      throw new DgitError('UNCOMMITTED_CHANGES', `uncommitted changes on ${branch}, the branch the queue moves; commit them or drop them (\`dgit reset --hard\`) before \`dgit queue run\``, branch);
  }

  /** When the default branch is checked out, its files follow it (only what changed is written). */
  private async followInWorktree(from: CommitId | null, to: CommitId): Promise<void> {
    let current: string | undefined;
    try {
      current = this.repository.currentBranch();
    } catch {
      return; // detached HEAD: no branch's files to follow
    }
    if (current !== this.defaultBranch) return;
    try {
      const fromTree = from ? (await this.repository.readCommit(from)).tree : EMPTY_TREE;
      const toTree = (await this.repository.readCommit(to)).tree;
      await syncBranchFiles(this.repository, fromTree, toTree);
    } catch (error) {
      this.report.warnings.push(`the working directory could not follow ${this.defaultBranch} to ${to.slice(0, 12)}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** Tell the hook about every finished entry it has not seen, then mark them reported. */
  private async reportOutcomes(): Promise<void> {
    // A hook that failed is tried again by the next run, not after every group of this one.
    const unreported = this.store.read().entries.filter((e) => e.state !== 'queued' && !e.reported && !this.hookAttempted.has(e.id));
    const reported: number[] = [];
    for (const entry of unreported) {
      const outcome = entry.outcome ?? (entry.state === 'merged' ? 'merged' : 'failed');
      const reason = entry.reason ?? `landed on ${this.defaultBranch} as ${entry.commit?.slice(0, 12) ?? 'a tested commit'}`;
      this.hookAttempted.add(entry.id);
      this.report.outcomes.push({ id: entry.id, branch: entry.branch, outcome, departure: entry.departure, reason, commit: entry.commit });
      try {
        await this.options.onOutcome?.(entry, outcome, reason);
        reported.push(entry.id);
      } catch (error) {
        this.report.warnings.push(`the outcome hook failed for #${entry.id} (${entry.branch}); it runs again next time: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    if (reported.length === 0) return;
    await this.store.update((state) => {
      for (const entry of state.entries) if (reported.includes(entry.id)) entry.reported = true;
    });
  }

  // ---- candidate refs ----------------------------------------------------------------------

  private async setRef(ref: string, commit: CommitId): Promise<void> {
    await this.repository.refs.compareAndSwap(ref, await this.repository.refs.resolve(ref), commit);
  }

  private async deleteRef(ref: string): Promise<void> {
    const current = await this.repository.refs.resolve(ref);
    if (current) await this.repository.refs.delete(ref, current);
  }

  private async candidateRefs(): Promise<string[]> {
    const names = await git.listRefs({ fs, gitdir: this.repository.gitdir, filepath: CANDIDATE_REF_PREFIX }).catch(() => [] as string[]);
    return names.filter((name) => !name.endsWith('.lock')).map((name) => `${CANDIDATE_REF_PREFIX}/${name}`);
  }
}

/** The first part that is marked for review and not approved, with the reason (the queue's review rule). */
async function firstUnreviewed(repository: Repository, parts: readonly CandidatePart[], onto: CommitId | undefined): Promise<{ part: CandidatePart; reason: string } | undefined> {
  for (const part of parts) {
    const reason = await reviewBlocks(repository, part.branch, part.head, onto);
    if (reason) return { part, reason };
  }
  return undefined;
}
