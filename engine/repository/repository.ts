import fs from 'node:fs';
import path from 'node:path';
import { CorruptError, DgitError, NotARepositoryError, UnknownNameError } from '../errors/index.js';
import { parseCommit, serializeCommit, type Commit, type Signature } from '../store/git-objects.js';
import { ObjectStore, type ObjectId, type ObjectTransaction } from '../store/object-store.js';
import { RefStore, checkBranchName } from '../store/ref-store.js';
import { resolveRevision, type CommitId } from '../store/revision.js';
import { EMPTY_TREE, listTableTrees } from '../table/root-tree.js';
import { readTableVersion } from '../table/table-tree.js';
import { GitChunkStore } from '../table/git-chunk-store.js';
import type { TableVersion } from '../table/table-version.js';
import { DGIT_IDENTITY, gitIdentity, readGitConfig } from './git-identity.js';
import { WorkingSetStore, type WorkingSetState } from '../workingset/working-set.js';
import { MergeStateStore, type MergeState } from '../workingset/merge-state.js';
import { carryWorkingSet } from '../workingset/carry-over.js';

/** isomorphic-git (about 0.1 s of CPU to load) is needed here only to init a repository and read its config. */
const isomorphicGit = async () => (await import('isomorphic-git')).default;

/** Where the tables of a command come from: a commit, or the current branch's working set. */
export type Revision = { kind: 'commit'; commit: CommitId; tree: ObjectId } | { kind: 'working'; branch: string; tree: ObjectId };

/** The name used in JSON output for the working set. */
export const WORKING = 'WORKING';

/** The effective working set of a branch. */
export interface WorkingSet {
  branch: string;
  /** The branch's commit now (undefined before its first commit). */
  head: CommitId | undefined;
  /** The tree of `head`, or the empty tree. */
  headTree: ObjectId;
  /** The root tree with the uncommitted changes. */
  tree: ObjectId;
  /** The stored state, as read (for compare-and-swap). */
  stored: WorkingSetState | undefined;
}

/**
 * A dgit repository: an ordinary git repository whose commits hold tables under
 * `tables/`. The typed API the CLI, the bot, the MCP server and the tests all use.
 */
export class Repository {
  readonly store: ObjectStore;
  readonly refs: RefStore;
  readonly workingSets: WorkingSetStore;
  readonly merges: MergeStateStore;

  private constructor(
    /** The working directory (where `tables/` is mirrored), or the git dir of a bare repository. */
    readonly dir: string,
    readonly gitdir: string,
    readonly bare: boolean,
  ) {
    this.store = new ObjectStore(gitdir);
    this.refs = new RefStore(gitdir, {
      // git's committer, or dgit's own signature when git knows nobody (a reflog line never fails a command).
      signature: () => {
        try {
          return gitIdentity(gitdir, 'COMMITTER');
        } catch {
          return DGIT_IDENTITY;
        }
      },
      // git's rule: core.logAllRefUpdates, unset meaning on except in a bare repository.
      logsAll: () => {
        const setting = readGitConfig(gitdir, 'core.logAllRefUpdates')?.toLowerCase();
        if (setting === undefined) return readGitConfig(gitdir, 'core.bare')?.toLowerCase() !== 'true';
        return ['true', 'always', 'yes', 'on', '1', ''].includes(setting);
      },
    });
    this.workingSets = new WorkingSetStore(this.store, this.refs);
    this.merges = new MergeStateStore(this.store, this.refs);
  }

  /** Make a git repository in `dir` (or adopt the one there) and mark it as dgit's. */
  static async init(dir: string, options: { initialBranch?: string } = {}): Promise<{ repository: Repository; created: boolean }> {
    const branch = options.initialBranch ?? 'main';
    checkBranchName(branch);
    fs.mkdirSync(dir, { recursive: true });
    const gitdir = path.join(dir, '.git');
    const created = !fs.existsSync(path.join(gitdir, 'HEAD'));
    if (created) await (await isomorphicGit()).init({ fs, dir, defaultBranch: branch });
    fs.mkdirSync(path.join(gitdir, 'dgit'), { recursive: true });
    const repository = new Repository(path.resolve(dir), path.resolve(gitdir), false);
    if (created || !(await repository.config('dgit.defaultBranch')))
      await (await isomorphicGit()).setConfig({ fs, gitdir, path: 'dgit.defaultBranch', value: created ? branch : repository.currentBranch() });
    repository.cleanStaleTemporaries();
    return { repository, created };
  }

  /** Open the dgit repository at `dir` or in a folder above it. */
  static async open(dir: string): Promise<Repository> {
    let current = path.resolve(dir);
    if (!fs.existsSync(current)) throw new NotARepositoryError(dir);
    for (;;) {
      const gitdir = path.join(current, '.git');
      if (fs.existsSync(path.join(gitdir, 'HEAD'))) {
        if (!fs.existsSync(path.join(gitdir, 'dgit'))) {
          // A plain git clone of a dgit repository: adopt it when it holds tables.
          if (!fs.existsSync(path.join(current, 'tables')) && !fs.existsSync(path.join(current, 'dgit.yml'))) throw new NotARepositoryError(current);
          fs.mkdirSync(path.join(gitdir, 'dgit'), { recursive: true });
        }
        const repository = new Repository(current, gitdir, false);
        repository.cleanStaleTemporaries();
        return repository;
      }
      const parent = path.dirname(current);
      if (parent === current) throw new NotARepositoryError(dir);
      current = parent;
    }
  }

  /** Remove staging folders left by a process that died (their objects were never referenced). */
  private cleanStaleTemporaries(): void {
    const tmp = path.join(this.gitdir, 'dgit', 'tmp');
    let names: string[];
    try {
      names = fs.readdirSync(tmp);
    } catch {
      return;
    }
    for (const name of names) {
      const pid = Number(/-(\d+)-/.exec(name)?.[1]);
      if (pid && pid !== process.pid && !processAlive(pid)) fs.rmSync(path.join(tmp, name), { recursive: true, force: true });
    }
  }

  // ---- branches and revisions ------------------------------------------------------------

  /** The branch HEAD names. */
  currentBranch(): string {
    const target = this.refs.headTarget();
    if (!target || !target.startsWith('refs/heads/')) throw new DgitError('UNSUPPORTED', 'HEAD is detached; switch to a branch first', 'HEAD');
    return target.slice('refs/heads/'.length);
  }

  async branchHead(branch: string): Promise<CommitId | undefined> {
    return (await this.refs.resolve(`refs/heads/${branch}`)) as CommitId | undefined;
  }

  async resolve(rev: string): Promise<CommitId> {
    return resolveRevision(this.store, this.refs, rev);
  }

  /**
   * A commit. In a shallow clone, a commit at the shallow boundary reads with no
   * parents, as git reads it (its parents were never fetched): log, show and diff
   * stop there instead of failing on a missing object.
   */
  async readCommit(id: CommitId): Promise<Commit> {
    const commit = parseCommit(await this.store.readTyped(id, 'commit'), id);
    return this.shallowCommits().has(id) ? { ...commit, parents: [] } : commit;
  }

  private shallow: Set<string> | undefined;

  /** The commits at the boundary of a shallow clone (`.git/shallow`); empty for a full clone. */
  shallowCommits(): ReadonlySet<string> {
    if (!this.shallow) {
      let text = '';
      try {
        text = fs.readFileSync(path.join(this.gitdir, 'shallow'), 'utf8');
      } catch {
        // Not shallow.
      }
      this.shallow = new Set(text.split('\n').filter((line) => /^[0-9a-f]{40}$/.test(line)));
    }
    return this.shallow;
  }

  /** The commit `rev` names, or the working set when `rev` is undefined. */
  async revision(rev: string | undefined): Promise<Revision> {
    // A detached HEAD (`git checkout <commit>`) has no working set, but reads show HEAD's commit, as git's do.
    if (rev === undefined && this.refs.headTarget() === undefined) rev = 'HEAD';
    if (rev === undefined || rev === WORKING) {
      const working = await this.workingSet();
      return { kind: 'working', branch: working.branch, tree: working.tree };
    }
    const commit = await this.resolve(rev);
    return { kind: 'commit', commit, tree: (await this.readCommit(commit)).tree };
  }

  // ---- working set -----------------------------------------------------------------------

  /**
   * The working set of a branch. A stored state made on an older commit of the
   * branch that holds no change (a crash between moving the ref and the state,
   * or a commit by plain git) follows the branch. One that holds changes while the
   * branch moved under it (plain `git commit`, `git reset`, `git pull`, or a dgit
   * commit racing an edit) is carried onto the new commit by a three-way merge, as
   * git carries uncommitted changes across a checkout; when they conflict it is
   * refused with the way out, and the changes stay at `refs/dgit/working/<branch>`.
   */
  async workingSet(branch: string = this.currentBranch()): Promise<WorkingSet> {
    const head = await this.branchHead(branch);
    const headTree = head ? (await this.readCommit(head)).tree : EMPTY_TREE;
    const stored = await this.workingSets.read(branch);
    // A state whose tree is gone (an older dgit's state file, pruned by git gc) is named, never used: nothing may point at it.
    if (stored && !(await this.store.has(stored.tree)))
      throw new CorruptError(
        `the uncommitted changes of ${branch} are lost: their tree ${stored.tree} is missing from the object store (removed by git gc before dgit kept working sets under refs/dgit/); run \`dgit reset --hard\` to start again from the branch`,
        branch,
      );
    let tree = headTree;
    if (stored && stored.base === head) tree = stored.tree;
    else if (stored && stored.tree !== headTree) {
      const baseTree = stored.base ? (await this.readCommit(stored.base)).tree : EMPTY_TREE;
      if (stored.tree !== baseTree) tree = await carryWorkingSet(this, branch, stored, head);
    }
    return { branch, head, headTree, tree, stored };
  }

  /**
   * Change the working set of the current branch: `change` builds a new root tree
   * writing objects into a transaction; the objects become visible and the state
   * moves (compare-and-swap) only if it returns without error.
   */
  async changeWorkingSet<T>(change: (context: { working: WorkingSet; tx: ObjectTransaction; chunks: GitChunkStore }) => Promise<{ tree: ObjectId; result: T }>): Promise<T> {
    const working = await this.workingSet();
    const tx = this.store.transaction();
    try {
      const chunks = new GitChunkStore(this.store, tx);
      const { tree, result } = await change({ working, tx, chunks });
      tx.commit();
      const next = tree === working.headTree ? undefined : { base: working.head, tree };
      await this.workingSets.update(working.branch, working.stored, next);
      return result;
    } catch (error) {
      tx.discard();
      throw error;
    }
  }

  /**
   * The merge in progress on a branch, if any. A state whose branch has moved past
   * the merge's starting commit belongs to a merge that was committed (a crash
   * before the state was removed) or abandoned by a reset: it is removed.
   */
  async mergeInProgress(branch: string = this.currentBranch()): Promise<MergeState | undefined> {
    const state = await this.merges.read(branch);
    if (!state) return undefined;
    if ((await this.branchHead(branch)) === state.ours) {
      if (state.pending) {
        // A merge killed between recording itself and moving the working set: move it now.
        const stored = await this.workingSets.read(branch);
        const current = stored && stored.base === state.ours ? stored.tree : (await this.readCommit(state.ours)).tree;
        const before = state.before?.tree ?? (await this.readCommit(state.ours)).tree;
        if (current === before && state.pending !== before) await this.workingSets.update(branch, stored, { base: state.ours, tree: state.pending });
        const settled = { ...state, pending: undefined };
        await this.merges.write(branch, settled);
        return settled;
      }
      return state;
    }
    await this.merges.clear(branch);
    return undefined;
  }

  // ---- tables ----------------------------------------------------------------------------

  async tableTrees(root: ObjectId): Promise<Map<string, ObjectId>> {
    return listTableTrees(this.store, root);
  }

  async readTable(root: ObjectId, name: string): Promise<TableVersion | undefined> {
    const tree = (await this.tableTrees(root)).get(name);
    return tree ? readTableVersion(this.store, tree, name) : undefined;
  }

  async requireTable(root: ObjectId, name: string, where: string): Promise<TableVersion> {
    const table = await this.readTable(root, name);
    if (!table) throw new UnknownNameError('table', name, [...(await this.tableTrees(root)).keys()].sort(), where === name ? undefined : where);
    return table;
  }

  /** The error for a branch name that does not exist, listing the branches there are. */
  async unknownBranch(name: string): Promise<UnknownNameError> {
    return new UnknownNameError('branch', name, await this.refs.listBranches());
  }

  /** A chunk reader (and writer into `writer`, default the store itself). */
  chunks(): GitChunkStore {
    return new GitChunkStore(this.store, this.store);
  }

  // ---- commits ---------------------------------------------------------------------------

  /**
   * Who commits: `--author` (the override), else git's environment variables and the
   * repository, global and system git config, as git finds them. Without any, git's
   * "identity unknown" error, unless a `fallback` is given (dgit's own bookkeeping
   * commits, such as the incident log, are signed by dgit then).
   */
  async signature(override?: { name: string; email: string }, role: 'AUTHOR' | 'COMMITTER' = 'AUTHOR', fallback?: { name: string; email: string }): Promise<Signature> {
    const now = new Date();
    const dateEnv = process.env[`GIT_${role}_DATE`];
    const timestamp = dateEnv && /^\d+$/.test(dateEnv) ? Number(dateEnv) : Math.floor(now.getTime() / 1000);
    let person = override;
    if (!person) {
      try {
        person = gitIdentity(this.gitdir, role);
      } catch (error) {
        if (!fallback) throw error;
        person = fallback;
      }
    }
    return { name: person.name, email: person.email, timestamp, timezoneOffset: -now.getTimezoneOffset() };
  }

  /**
   * The branch the merge queue and the healer protect: git config
   * `dgit.defaultBranch` (set by `dgit init`), else main, else master.
   */
  async defaultBranch(): Promise<string> {
    const configured = await this.config('dgit.defaultBranch');
    if (configured) return configured;
    for (const name of ['main', 'master']) if (await this.branchHead(name)) return name;
    return this.currentBranch();
  }

  async config(key: string): Promise<string | undefined> {
    try {
      const value: unknown = await (await isomorphicGit()).getConfig({ fs, gitdir: this.gitdir, path: key });
      return typeof value === 'string' ? value : undefined;
    } catch {
      return undefined;
    }
  }

  /** Write a commit object (not moving any ref). */
  writeCommit(writer: { write: ObjectStore['write'] }, commit: Commit): CommitId {
    return writer.write('commit', serializeCommit(commit)) as CommitId;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
