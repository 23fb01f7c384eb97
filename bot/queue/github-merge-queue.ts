import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import git from 'isomorphic-git';
import type { Context } from 'probot';
import { coordinates, repositoryTarget, type BotServices } from '../bot-services.js';
import { PullRequestDetails, type RepositoryPayload } from '../events/payloads.js';
import type { LocalClone } from '../git/repository-clones.js';
import type { GitHubClient, RepositoryCoordinates, WriterIdentity } from '../github/github-client.js';
import { postCommentOnce } from '../publish/marked-comment.js';
import { QueueCheckRun } from '../publish/queue-check-run.js';
import { commandKeyText, QUEUE_LABEL, queueOutcomeMarker, type CommandKey } from '../render/markers.js';
import { outcomeComment, outcomeRunOutput, queuedRunOutput } from '../render/queue-messages.js';
import { judgeCandidate, landingCandidate } from './landing.js';
import { QUEUE_STATE_REF, QueueStore, type GitTokens, type StoredQueueState } from './queue-store.js';
import {
  addEntry,
  applyTransition,
  claimWorker,
  entryById,
  finishEntry,
  hasWork,
  isWorker,
  latestEntry,
  machineOf,
  positionOf,
  type Departure,
  type QueueEntry,
  type QueueState,
} from './queue-state.js';
import { checkPolicy, contains, fetch, foldResult, isBatchSize, nextStep, push, RemoteError, remoteRefTarget, type CommitId, type ObjectId, type QueuePolicy, type StepResult } from '../../engine/index.js';

export interface MergeQueueOptions {
  /**
   * Pull requests tested together (default 1): the first `batch` queued are merged
   * onto the latest default branch as one candidate, checked once and landed in one
   * push; a failing batch is bisected (engine/queue/batch-plan.ts), its plan kept in
   * the state, so any instance resumes it.
   */
  batch?: number;
  /** Landings lost to a default branch that moved meanwhile, rebuilt on its new head, before the entry is dequeued. */
  maxLandingAttempts?: number;
  /**
   * How long an instance works the queue without renewing its claim (default 5
   * minutes). Another instance takes over a queue whose worker stopped once this
   * ran out; one restarted on the same data folder takes its own claim back at once.
   */
  workerLeaseMs?: number;
  /**
   * The clock the worker lease is measured with (default `Date.now`). Tests pass a
   * clock they move by hand, so a lease never runs out because the machine is slow.
   */
  now?: () => number;
}

/** What a request to queue a pull request came to. */
export type EnqueueResult =
  | { kind: 'queued'; entry: QueueEntry; position: number }
  | { kind: 'already-queued'; entry: QueueEntry; position: number; byThisCommand: boolean }
  | { kind: 'already-merged' }
  | { kind: 'closed' }
  | { kind: 'wrong-base'; base: string };

/** Who asked, and by which command (recorded in the state, so a repeated command is recognised). */
export interface QueueRequest {
  pull: number;
  by: string;
  command: CommandKey;
}

/** The local branch the tested candidate is pushed from (isomorphic-git pushes branches). */
const LANDING_BRANCH = 'dgit-merge-queue/landing';

/** Steps of one `advance` at most: each lands or drops an entry, or settles one piece of state. */
const MAX_STEPS = 200;

/** The file in the data folder naming this instance of the bot to the queue's state. */
const INSTANCE_FILE = 'merge-queue-instance';

/**
 * The merge queue on GitHub: pull requests queued by a maintainer land on the
 * default branch one at a time (or `batch` at a time), each as the exact commit
 * the checks passed on.
 *
 * For the first queued entry (or the group the batch plan names: the first
 * `batch` entries, or half of a failed batch being bisected, engine/queue's
 * bors rule): the pull request's head (as queued, nothing newer; a group's heads
 * in queue order) is merged onto the latest default branch with the data three-way merge, the
 * checks of dgit.yml run on the result (engine/queue's rule: all pass on a green
 * branch, nothing gets worse on a red one), the landing is recorded in the state,
 * and the candidate is pushed to the default branch with a lease on the commit it
 * was merged onto. A conflict, failing checks, a new push to the pull request, or a
 * default branch that keeps moving (more than `maxLandingAttempts` lost leases)
 * takes it out of the queue, with the reason in a comment and in its `dgit/queue`
 * check run; a failing group larger than one is split in halves instead, the
 * plan kept in the state.
 *
 * What happens next, and what each result does to the queue, is the queue core's
 * decision (engine/queue/queue-machine.ts, the local queue's too); this class
 * does the I/O: pull requests, the clone, candidates, pushes, the state ref,
 * comments and check runs.
 *
 * The state lives in the repository (QueueStore, `refs/dgit/bot-queue`), so any
 * instance resumes it: a recorded landing is finished first (see `settle`),
 * outcomes not yet reported are reported (each comment once, by its marker), then
 * the queue moves on. Work on one repository runs one at a time in a process (the
 * clone's lock); across processes, one instance at a time works the queue (the
 * worker named in the state, with a lease), and every change of the state and of
 * the default branch is pushed with a lease on what it was made from.
 */
export class GitHubMergeQueue {
  /**
   * How the queue core runs on GitHub: only a bisection is kept in the state (a
   * batch that lost an entry before its test is chosen afresh, `group: 'refilled'`),
   * and an entry that lost `maxLandingAttempts` landings leaves with `lost-race`
   * (`racesExhausted: 'dequeue'`): a webhook-driven queue has no run to stop.
   */
  private readonly policy: QueuePolicy;
  private readonly workerLeaseMs: number;
  private readonly clock: () => number;
  /** This instance, as the state names its worker: kept in the data folder, so a restart is the same instance. */
  private readonly instance: string;
  /** Per repository, the state commit last seen with nothing to do: events on an idle queue cost one ref lookup. */
  private readonly idleAt = new Map<number, ObjectId | null>();

  constructor(
    private readonly services: BotServices,
    options: MergeQueueOptions = {},
  ) {
    const batch = options.batch ?? 1;
    if (!isBatchSize(batch)) throw new RangeError(`the merge queue's batch is a whole number of at least 1, not ${options.batch}`);
    // No attempts allowed and one allowed are the same: the first lost landing dequeues.
    this.policy = checkPolicy({ batch, maxLostRaces: Math.max(1, options.maxLandingAttempts ?? 3), racesExhausted: 'dequeue', group: 'refilled' });
    this.workerLeaseMs = options.workerLeaseMs ?? 5 * 60_000;
    this.clock = options.now ?? Date.now;
    this.instance = instanceName(services.settings.dataDir);
  }

  /** Queue a pull request's head (the caller has checked the permission). */
  async enqueue(context: Context, repository: RepositoryPayload, request: QueueRequest, known?: PullRequestDetails): Promise<EnqueueResult> {
    return this.session(context, repository, async (session) => {
      await session.settle();
      const pull = known ?? (await session.pullRequest(request.pull));
      if (pull.state !== 'open') return pull.merged_at ? { kind: 'already-merged' } : { kind: 'closed' };
      if (pull.base.ref !== repository.default_branch) return { kind: 'wrong-base', base: pull.base.ref };
      const source = commandKeyText(request.command);
      const head = pull.head.sha as CommitId;
      const { result, stored } = await session.store.update(`queue pull request ${pull.number} at ${head.slice(0, 12)}`, (state): { kind: 'queued'; entry: QueueEntry; position: number } | undefined => {
        const latest = latestEntry(state, pull.number);
        if (latest?.state === 'queued' && latest.head === head) return undefined;
        if (latest?.state === 'queued') finishEntry(state, latest.id, { departure: 'new-push', reason: newPushReason(latest.head, head), now: now() });
        const entry = addEntry(state, { pull: pull.number, head, queuedBy: request.by, source, now: now() });
        return { kind: 'queued', entry, position: positionOf(state, entry) };
      });
      if (result) {
        await session.checkRun.start(head, result.entry.id, queuedRunOutput(result.entry, result.position, repository.default_branch));
        return result;
      }
      const entry = latestEntry(stored.state, pull.number)!;
      return { kind: 'already-queued', entry, position: positionOf(stored.state, entry), byThisCommand: entry.source === source };
    });
  }

  /**
   * Take a pull request out of the queue. `announced`: the command's reply says
   * so, and no outcome comment is posted (the check run still completes).
   */
  async dequeue(context: Context, repository: RepositoryPayload, request: QueueRequest, options: { announced: boolean }): Promise<'removed' | 'not-queued'> {
    return this.session(context, repository, async (session) => {
      await session.settle();
      const source = commandKeyText(request.command);
      const { result, stored } = await session.store.update(`dequeue pull request ${request.pull}`, (state) => {
        const latest = latestEntry(state, request.pull);
        if (latest?.state !== 'queued') return undefined;
        finishEntry(state, latest.id, { departure: 'removed', reason: `${request.by} took it out of the queue`, by: options.announced ? source : undefined, now: now() });
        return 'removed' as const;
      });
      if (result) return result;
      const latest = latestEntry(stored.state, request.pull);
      return latest?.departure === 'removed' && latest.finished_by === source ? 'removed' : 'not-queued';
    });
  }

  /**
   * `pull_request.synchronize`: a queued entry of an older head leaves the queue
   * (the new head was not asked for). The head is read from GitHub, not from the
   * event: a redelivered old event must not take out a newer entry.
   */
  async headMoved(context: Context, repository: RepositoryPayload, number: number): Promise<void> {
    await this.whenQueued(context, repository, number, async (session) => {
      await session.settle();
      const pull = await session.pullRequest(number);
      await session.store.update(`pull request ${number} moved to ${pull.head.sha.slice(0, 12)}`, (state) => {
        const latest = latestEntry(state, number);
        if (latest?.state !== 'queued' || latest.head === pull.head.sha) return undefined;
        return finishEntry(state, latest.id, { departure: 'new-push', reason: newPushReason(latest.head, pull.head.sha), now: now() });
      });
    });
  }

  /** `pull_request.closed`: a queued entry leaves the queue (merged by someone else, or closed), as GitHub says now. */
  async closed(context: Context, repository: RepositoryPayload, number: number): Promise<void> {
    await this.whenQueued(context, repository, number, async (session) => {
      await session.settle();
      const pull = await session.pullRequest(number);
      if (pull.state === 'open') return;
      await session.store.update(`pull request ${number} closed`, (state) => {
        const latest = latestEntry(state, number);
        if (latest?.state !== 'queued') return undefined;
        return pull.merged_at
          ? finishEntry(state, latest.id, { departure: 'merged-elsewhere', reason: 'the pull request was merged outside the queue', now: now() })
          : finishEntry(state, latest.id, { departure: 'closed', reason: 'the pull request was closed', now: now() });
      });
    });
  }

  /**
   * The `dgit:queue` label taken off by a maintainer: what the label queued leaves
   * the queue, unless the label is back on (this is an old event).
   */
  async labelRemoved(context: Context, repository: RepositoryPayload, number: number, by: string): Promise<void> {
    await this.whenQueued(context, repository, number, async (session) => {
      await session.settle();
      const pull = await session.pullRequest(number);
      if (pull.labels.some((label) => label.name === QUEUE_LABEL)) return;
      await session.store.update(`dequeue pull request ${number}: label removed`, (state) => {
        const latest = latestEntry(state, number);
        if (latest?.state !== 'queued' || !latest.source.startsWith('delivery/')) return undefined;
        return finishEntry(state, latest.id, { departure: 'removed', reason: `${by} took the label ${QUEUE_LABEL} off`, now: now() });
      });
    });
  }

  /**
   * Carry the queue on after any event: unless its state is one this instance saw
   * idle (one ref lookup), settle, report, and land whatever is queued. This is
   * how a restarted bot resumes where it stopped.
   */
  async resume(context: Context, repository: RepositoryPayload): Promise<void> {
    const token = await this.services.gitToken(context, repository.id, 'read');
    const current = await remoteRefTarget({ url: repository.clone_url, ref: QUEUE_STATE_REF, token });
    if (this.idleAt.has(repository.id) && this.idleAt.get(repository.id) === current) return;
    await this.advance(context, repository, current);
  }

  /**
   * Settle, report and land until nothing is queued, as the queue's worker: claimed
   * (or renewed) in the state before each step, let go when nothing is left. While
   * another instance's claim runs, that one is working: nothing to do here. `seen`: where
   * the state's ref pointed a moment ago (see QueueStore.load), for the first read.
   */
  async advance(context: Context, repository: RepositoryPayload, seen?: ObjectId | null): Promise<void> {
    await this.session(context, repository, async (session) => {
      for (let step = 0; step < MAX_STEPS; step++) {
        let stored = await session.store.load(step === 0 ? seen : undefined);
        if (!hasWork(stored.state)) {
          if (stored.state.worker?.instance !== this.instance) {
            this.idleAt.set(repository.id, stored.commit);
            return;
          }
          // Nothing left: let go (unless work came in meanwhile: then carry on).
          await session.store.update('the queue is idle', (state) => (state.worker?.instance === this.instance && !hasWork(state) ? ((state.worker = null), true) : undefined), stored);
          continue;
        }
        if (!isWorker(stored.state, this.instance, this.clock(), this.workerLeaseMs / 2)) {
          const claim = await session.store.update(`${this.instance} works the queue`, (state) => (hasWork(state) ? claimWorker(state, this.instance, this.clock(), this.workerLeaseMs) : undefined), stored);
          if (!claim.result) {
            if (!hasWork(claim.stored.state)) continue;
            context.log.info({ repository: repository.full_name, worker: claim.stored.state.worker }, 'merge queue: another instance works the queue');
            return;
          }
          stored = claim.stored;
        }
        if (stored.state.landing) await session.settle(stored);
        else if (stored.state.entries.some((entry) => entry.state !== 'queued' && !entry.reported)) await session.report(stored);
        else await session.landNext(stored);
      }
      context.log.warn({ repository: repository.full_name }, 'merge queue: step limit reached; the next event carries on');
    });
  }

  /** Run `work` only if the pull request may be queued: its latest entry waiting, or a landing to settle. */
  private async whenQueued(context: Context, repository: RepositoryPayload, pull: number, work: (session: QueueSession) => Promise<void>): Promise<void> {
    await this.session(context, repository, async (session) => {
      const { state } = await session.store.load();
      if (latestEntry(state, pull)?.state === 'queued' || state.landing) await work(session);
    });
  }

  private async session<T>(context: Context, repository: RepositoryPayload, work: (session: QueueSession) => Promise<T>): Promise<T> {
    // Reads (the clone, the state) with a read-only token; one that may push is asked for only to push.
    const read = await this.services.gitToken(context, repository.id, 'read');
    const tokens = { read, write: () => this.services.gitToken(context, repository.id, 'write') };
    const identity = await this.services.identity();
    return this.services.clones.withClone(repositoryTarget(repository), read, async (clone) => {
      this.idleAt.delete(repository.id);
      return work(new QueueSession(context, repository, clone, tokens, identity, this.policy, this.instance, this.clock));
    });
  }
}

/**
 * One piece of queue work on an up-to-date clone, alone on its repository in this
 * process: the state store, the GitHub client, and the steps of the queue.
 */
class QueueSession {
  readonly store: QueueStore;
  readonly checkRun: QueueCheckRun;
  private readonly client: GitHubClient;
  private readonly where: RepositoryCoordinates;

  constructor(
    private readonly context: Context,
    private readonly repository: RepositoryPayload,
    private readonly clone: LocalClone,
    private readonly tokens: GitTokens,
    private readonly identity: WriterIdentity,
    /** The queue core's policy for GitHub (see `GitHubMergeQueue.policy`). */
    private readonly policy: QueuePolicy,
    /** This instance: the worker steps (report, land) act only while it is the queue's worker. */
    private readonly instance: string,
    private readonly clock: () => number,
  ) {
    this.store = new QueueStore(clone.repository, tokens);
    this.client = context.octokit;
    this.where = coordinates(repository);
    this.checkRun = new QueueCheckRun(this.client, this.where);
  }

  private get defaultBranch(): string {
    return this.repository.default_branch;
  }

  async pullRequest(number: number): Promise<PullRequestDetails> {
    const { data } = await this.client.rest.pulls.get({ ...this.where, pull_number: number });
    return PullRequestDetails.parse(data);
  }

  /**
   * Bring a recorded landing to its end, whoever recorded it (this instance a
   * moment ago, one that stopped half-way, one running beside it). The candidate is
   * tested and reachable from the state commit that recorded it, so any instance has
   * it. Until the default branch contains it: while the default branch is still the
   * commit the candidate was merged onto, push the candidate there with a lease on
   * that commit (only one push can win it); once it contains the candidate, the entry
   * is merged; once it moved anywhere else, the landing can never happen: forget it
   * (the entry is built again on the new head, or leaves after too many tries).
   */
  async settle(known?: StoredQueueState): Promise<void> {
    let stored = known ?? (await this.store.load());
    for (let round = 0; stored.state.landing; round++) {
      const landing = stored.state.landing;
      await this.fetchOrigin();
      const tip = (await this.clone.originBranch(this.defaultBranch)) ?? null;
      const landed = tip !== null && (await contains(this.clone.repository, tip, landing.candidate));
      if (!landed && tip === landing.onto && round < 3) {
        try {
          await this.pushCandidate(landing.candidate, landing.onto);
        } catch (error) {
          if (!(error instanceof RemoteError && error.failure === 'stale-lease')) throw error;
        }
        continue; // look again at where the default branch is now
      }
      const found = machineOf(stored.state).landing!;
      const result: StepResult = landed ? { kind: 'landed', landing: found, reason: 'merged' } : { kind: 'lost-race', landing: found, branch: this.defaultBranch };
      const { stored: next } = await this.store.update(`settle the landing of ${entriesText(found.entries)}`, (state) => this.fold(state, result), stored);
      stored = next;
    }
  }

  /** Move the default branch from `onto` to the tested `candidate`, with a lease on `onto`. */
  private async pushCandidate(candidate: CommitId, onto: CommitId | null): Promise<void> {
    await git.writeRef({ fs, gitdir: this.clone.repository.gitdir, ref: `refs/heads/${LANDING_BRANCH}`, value: candidate, force: true });
    await push(this.clone.repository, { remote: 'origin', branch: LANDING_BRANCH, remoteBranch: this.defaultBranch, forceWithLease: { expect: onto }, token: await this.tokens.write() });
  }

  /**
   * Publish the oldest outcome not yet reported: the one outcome comment (unless a
   * command's reply said it), the completed check run, the `dgit:queue` label taken
   * off a dequeued pull request so that adding it again queues it again. Each is
   * idempotent, so a report cut short is simply made again; one at a time, by the
   * queue's worker, so no two instances post the same comment at once.
   */
  async report(stored: StoredQueueState): Promise<void> {
    const entry = stored.state.entries.find((e) => e.state !== 'queued' && !e.reported);
    if (!entry || !isWorker(stored.state, this.instance, this.clock())) return;
    const pull = await this.pullRequest(entry.pull);
    // Commits pushed after the head was queued (and after the checks of its merge) are not in it.
    const headNow = pull.state === 'open' && pull.head.sha !== entry.head ? pull.head.sha : undefined;
    if (entry.finished_by === null) await postCommentOnce(this.client, this.where, entry.pull, queueOutcomeMarker(entry.id), outcomeComment(entry, this.defaultBranch, headNow), this.identity);
    const { conclusion, ...output } = outcomeRunOutput(entry, this.defaultBranch);
    await this.checkRun.finish(entry.head, entry.id, { conclusion, ...output });
    if (entry.state === 'dequeued' && pull.labels.some((label) => label.name === QUEUE_LABEL)) await this.removeQueueLabel(entry.pull);
    await this.store.update(`report entry ${entry.id} (pull request ${entry.pull})`, (state) => {
      const reported = state.entries.find((e) => e.id === entry.id);
      if (!reported || reported.state === 'queued' || reported.reported) return undefined;
      reported.reported = true;
      return true;
    }, stored);
  }

  /**
   * Test the next group the batch plan names (the first queued entry, the first
   * `batch` of them, or the next half of a failed batch being bisected): land it
   * when its merge passes the checks, or take out an entry that cannot be tested
   * (with its reason), or record the failure (a lone culprit leaves; a larger
   * group is split in the state, for whichever instance carries on).
   */
  async landNext(stored: StoredQueueState): Promise<void> {
    const step = nextStep(machineOf(stored.state), this.policy);
    if (step.kind !== 'test') return;
    const ids = step.group;
    const group = ids.map((id) => entryById(stored.state, id));
    /** Fold a result of testing the group into the state, while this instance works the queue (the core refuses it once the group is no longer next). */
    const record = (message: string, result: StepResult) => this.store.update(message, (state) => (isWorker(state, this.instance, this.clock()) ? this.fold(state, result) : undefined), stored);
    const leave = (entry: QueueEntry, departure: Departure, reason: string) =>
      record(`entry ${entry.id} (pull request ${entry.pull}): ${departure}`, { kind: 'untestable', group: ids, leaving: [{ id: entry.id, departure, reason }] });

    const pulls: PullRequestDetails[] = [];
    for (const entry of group) {
      const pull = await this.pullRequest(entry.pull);
      if (pull.state !== 'open') {
        await (pull.merged_at ? leave(entry, 'merged-elsewhere', 'the pull request was merged outside the queue') : leave(entry, 'closed', 'the pull request was closed'));
        return;
      }
      if (pull.base.ref !== this.defaultBranch) return void (await leave(entry, 'wrong-base', `the pull request now goes into ${pull.base.ref}, not ${this.defaultBranch}`));
      if (pull.head.sha !== entry.head) return void (await leave(entry, 'new-push', newPushReason(entry.head, pull.head.sha)));
      pulls.push(pull);
    }

    await this.fetchOrigin();
    for (const [index, entry] of group.entries()) {
      const pull = pulls[index]!;
      if (pull.head.repo && pull.head.repo.id !== this.repository.id) await this.clone.fetchFork({ id: pull.head.repo.id, cloneUrl: pull.head.repo.clone_url });
      if (!(await this.clone.has(entry.head))) return void (await leave(entry, 'head-missing', `its head ${entry.head.slice(0, 12)} could not be fetched`));
    }

    const onto = (await this.clone.originBranch(this.defaultBranch)) ?? null;
    const parts = group.map((entry, index) => ({
      id: entry.id,
      pull: entry.pull,
      head: entry.head,
      message: `Merge pull request #${entry.pull} from ${pulls[index]!.head.ref}\n\nTested and landed by the dgit merge queue (entry ${entry.id}${group.length > 1 ? `, with ${entriesText(ids.filter((id) => id !== entry.id))}` : ''}).\n`,
    }));
    const built = await landingCandidate(this.clone.repository, onto ?? undefined, parts, this.defaultBranch);
    if (built.kind === 'contained') return void (await record(`${entriesText(ids)}: already in ${this.defaultBranch}`, { kind: 'contained', group: ids, onto, reason: `its head was already in ${this.defaultBranch}` }));
    // A pull request that conflicts with the default branch itself is the culprit; later in a batch, it may be the interplay.
    if (built.kind === 'conflict' && built.index === 0) return void (await leave(group[0]!, 'conflict', built.reason));
    const fail = (failure: { departure: Departure; reason: string }) =>
      record(`${entriesText(ids)}: ${failure.departure}${group.length > 1 ? ', bisect' : ''}`, { kind: 'failed', group: ids, ...failure });
    if (built.kind === 'conflict') return void (await fail({ departure: 'conflict', reason: built.reason }));
    const verdict = await judgeCandidate(this.clone.repository, built.commit, onto ?? undefined);
    if (!verdict.passed) return void (await fail(verdict));

    // Recorded before the push (with the candidate reachable from the state): whoever finds it finishes it.
    const candidate = built.commit;
    const { result: recorded, stored: withLanding } = await record(`land ${entriesText(ids)} as ${candidate.slice(0, 12)}`, { kind: 'passed', group: ids, onto, candidate });
    if (recorded) await this.settle(withLanding);
  }

  /** Fold a result into `state` with the queue core and write the transition; undefined (nothing written) when it no longer fits. */
  private fold(state: QueueState, result: StepResult): true | undefined {
    const transition = foldResult(machineOf(state), result, this.policy);
    if (!transition) return undefined;
    applyTransition(state, transition, { now: now() });
    return true;
  }

  private async fetchOrigin(): Promise<void> {
    await fetch(this.clone.repository, { remote: 'origin', prune: true, token: this.tokens.read });
  }

  private async removeQueueLabel(number: number): Promise<void> {
    try {
      await this.client.rest.issues.removeLabel({ ...this.where, issue_number: number, name: QUEUE_LABEL });
    } catch (error) {
      if ((error as { status?: number }).status !== 404) throw error; // someone took it off meanwhile
    }
  }
}

/** This instance's name, kept in the data folder (made on first use). */
function instanceName(dataDir: string): string {
  const file = path.join(dataDir, INSTANCE_FILE);
  try {
    const name = fs.readFileSync(file, 'utf8').trim();
    if (/^[0-9a-f-]{36}$/.test(name)) return name;
  } catch {
    // none yet
  }
  const name = crypto.randomUUID();
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(file, `${name}\n`);
  return name;
}

/** Entries as a state commit's message names them: `entry 4`, `entries 4, 5, 6`. */
function entriesText(ids: readonly number[]): string {
  return `${ids.length === 1 ? 'entry' : 'entries'} ${ids.join(', ')}`;
}

function newPushReason(queued: string, now: string): string {
  return `new commits were pushed while it was queued (queued at ${queued.slice(0, 12)}, now at ${now.slice(0, 12)}); queue it again to land them`;
}

function now(): string {
  return new Date().toISOString();
}
