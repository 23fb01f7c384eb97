import fs from 'node:fs';
import git from 'isomorphic-git';
import { CorruptError, fetchRemoteRef, parseTree, pushRemoteRef, RemoteError, serializeTree, type CommitId, type ObjectId, type Repository } from '../../engine/index.js';
import { emptyQueueState, parseQueueState, type QueueState } from './queue-state.js';

/** The ref holding the queue's state on the repository: a commit whose tree holds `queue.json`. */
export const QUEUE_STATE_REF = 'refs/dgit/bot-queue';
export const QUEUE_STATE_FILE = 'queue.json';

/** Who writes the state commits. */
const WRITER = { name: 'dgit merge queue', email: 'dgit-merge-queue@users.noreply.github.com' };

/** How often a state change is tried again after another writer moved the ref first. */
const MAX_STATE_RACES = 8;

/** Tokens for git: `read` (contents: read) for fetches, `write` (contents: write) minted only when something is pushed. */
export interface GitTokens {
  read: string;
  write: () => Promise<string>;
}

/** The state as read from the repository, with the commit it came from (null: there was none). */
export interface StoredQueueState {
  commit: ObjectId | null;
  state: QueueState;
}

/**
 * The queue's state in the repository, as `refs/dgit/bot-queue`: each change is a
 * commit (parent: the state before it, so `git log refs/dgit/bot-queue` reads as the
 * queue's history; and a landing's candidate, see `save`) whose tree holds
 * `queue.json`, pushed with a lease on the commit it was made from. Two instances of the bot can therefore never both advance it
 * from the same state; the loser reads the new state and decides again.
 */
export class QueueStore {
  private readonly tokens: GitTokens;

  constructor(
    private readonly repository: Repository,
    /** One token for reads and pushes, or a read-only one and a way to get one that may push (asked only to push). */
    tokens: string | GitTokens,
    private readonly remote = 'origin',
  ) {
    this.tokens = typeof tokens === 'string' ? { read: tokens, write: () => Promise.resolve(tokens) } : tokens;
  }

  /**
   * Fetch and read the state as the remote has it now. `seen` is where the remote's ref
   * pointed a moment ago (null: it did not exist), from a ref lookup such as `resume`
   * makes: when this clone already holds that commit (it wrote or fetched it before),
   * the state is read from it without a fetch, two requests fewer. A state read that way
   * is as old as the lookup, which is as good as one fetched a moment later: every
   * change is pushed with a lease on the state it was made from, so a change decided on
   * a state that moved since is refused and decided again on the new one.
   */
  async load(seen?: ObjectId | null): Promise<StoredQueueState> {
    const commit =
      seen === null || (seen !== undefined && (await this.repository.store.has(seen)))
        ? seen
        : await fetchRemoteRef(this.repository, { remote: this.remote, ref: QUEUE_STATE_REF, token: this.tokens.read });
    if (commit === null) return { commit: null, state: emptyQueueState() };
    // The local copy offers what we have on the next fetch.
    await git.writeRef({ fs, gitdir: this.repository.gitdir, ref: QUEUE_STATE_REF, value: commit, force: true });
    return { commit, state: await this.read(commit) };
  }

  /**
   * Change the state and publish it: `change` edits a copy of the latest state and
   * returns a result, or `undefined` for "nothing to change" (nothing is written).
   * When another writer moved the ref in between, the state is read again and
   * `change` runs again on it, so it must decide from the state alone.
   *
   * `known`, a state this caller just read, saves a fetch: `change` runs on it first,
   * and its result is pushed with the lease on `known`'s commit, which holds only if
   * the remote still has exactly that state. A lost lease, or "nothing to change"
   * (which is never decided on a state that may be old), reads the state again.
   */
  async update<T>(message: string, change: (state: QueueState) => T | undefined, known?: StoredQueueState): Promise<{ result: T | undefined; stored: StoredQueueState }> {
    let guess = known;
    for (let race = 0; ; ) {
      const fromGuess = guess !== undefined;
      const stored = guess ?? (await this.load());
      guess = undefined;
      const next = structuredClone(stored.state);
      const result = change(next);
      if (result === undefined) {
        if (fromGuess) continue;
        return { result, stored };
      }
      try {
        return { result, stored: await this.save(stored, next, message) };
      } catch (error) {
        if (!(error instanceof RemoteError && error.failure === 'stale-lease')) throw error;
        if (fromGuess) continue;
        if (race++ < MAX_STATE_RACES) continue;
        throw error;
      }
    }
  }

  private async save(from: StoredQueueState, state: QueueState, message: string): Promise<StoredQueueState> {
    const store = this.repository.store;
    const blob = store.write('blob', Buffer.from(JSON.stringify(state, null, 2) + '\n', 'utf8'));
    const tree = store.write('tree', serializeTree([{ mode: '100644', name: QUEUE_STATE_FILE, oid: blob }]));
    const signature = await this.repository.signature(WRITER);
    // A landing's candidate is a parent of the state that records it: pushing the state sends the
    // candidate too, so any instance that reads the state can finish the landing.
    const candidate = state.landing && state.landing.candidate !== from.state.landing?.candidate ? [state.landing.candidate] : [];
    const commit = this.repository.writeCommit(store, {
      tree,
      parents: [...(from.commit ? [from.commit] : []), ...candidate],
      author: signature,
      committer: signature,
      message: `${message.replace(/[\r\n]+/g, ' ').slice(0, 200)}\n`,
    });
    await pushRemoteRef(this.repository, { remote: this.remote, ref: QUEUE_STATE_REF, commit, expect: from.commit, token: await this.tokens.write() });
    await git.writeRef({ fs, gitdir: this.repository.gitdir, ref: QUEUE_STATE_REF, value: commit, force: true });
    return { commit, state };
  }

  private async read(commit: ObjectId): Promise<QueueState> {
    const tree = (await this.repository.readCommit(commit as CommitId)).tree;
    const entry = parseTree(await this.repository.store.readTyped(tree, 'tree'), QUEUE_STATE_REF).find((e) => e.name === QUEUE_STATE_FILE);
    if (!entry) throw new CorruptError(`the merge queue's state has no ${QUEUE_STATE_FILE}`, QUEUE_STATE_REF);
    const text = Buffer.from(await this.repository.store.readTyped(entry.oid, 'blob')).toString('utf8');
    try {
      return parseQueueState(JSON.parse(text));
    } catch (error) {
      throw new CorruptError(`the merge queue's state is unreadable`, `${QUEUE_STATE_REF}:${QUEUE_STATE_FILE}`, error);
    }
  }
}
