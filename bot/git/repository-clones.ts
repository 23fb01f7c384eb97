import fs from 'node:fs';
import path from 'node:path';
import { addRemote, clone, fetch, listRemotes, openRepository, removeRemote, type CommitId, type ObjectId, type Repository } from '../../engine/index.js';

/** A repository on GitHub, as a webhook names it. */
export interface RepositoryTarget {
  /** GitHub's numeric id: the clone's folder, stable across renames and transfers. */
  id: number;
  /** `owner/name`, for logs. */
  fullName: string;
  /** The HTTPS clone URL (`repository.clone_url`). */
  cloneUrl: string;
}

/** A fork a pull request comes from. */
export interface ForkTarget {
  id: number;
  cloneUrl: string;
}

/**
 * The bot's local clone of one repository, fetched for the event at hand. Only
 * reads happen through it: the bot never pushes in phase 1, and never to a fork.
 */
export class LocalClone {
  constructor(
    readonly repository: Repository,
    private readonly target: RepositoryTarget,
    private readonly token: string,
  ) {}

  /** Where `origin`'s branch points after the last fetch. */
  async originBranch(branch: string): Promise<CommitId | undefined> {
    return (await this.repository.refs.resolve(`refs/remotes/origin/${branch}`)) as CommitId | undefined;
  }

  /** Where a fork's branch points after `fetchFork`. */
  async forkBranch(fork: ForkTarget, branch: string): Promise<CommitId | undefined> {
    return (await this.repository.refs.resolve(`refs/remotes/${forkRemote(fork)}/${branch}`)) as CommitId | undefined;
  }

  /** Whether the clone has this commit. */
  async has(id: string): Promise<boolean> {
    return /^[0-9a-f]{40}$/.test(id) && this.repository.store.has(id as ObjectId);
  }

  /**
   * Fetch the branches of a fork a pull request comes from, as remote
   * `fork-<id>`. (GitHub also serves the head as `refs/pull/N/head` of the base
   * repository, but engine/remote fetches branches and tags only.) The fork must
   * live on the same host as the repository, so the token never goes elsewhere.
   */
  async fetchFork(fork: ForkTarget): Promise<void> {
    if (new URL(fork.cloneUrl).host !== new URL(this.target.cloneUrl).host) {
      throw new Error(`the fork's clone URL is on another host than ${this.target.fullName}`);
    }
    const name = forkRemote(fork);
    const existing = (await listRemotes(this.repository)).find((remote) => remote.name === name);
    if (existing && existing.url !== fork.cloneUrl) await removeRemote(this.repository, name);
    if (!existing || existing.url !== fork.cloneUrl) await addRemote(this.repository, name, fork.cloneUrl);
    await fetch(this.repository, { remote: name, prune: true, token: this.token });
  }
}

function forkRemote(fork: ForkTarget): string {
  return `fork-${fork.id}`;
}

/**
 * One local clone per repository under `<data>/repositories/<id>`, made on first
 * use and fetched before each piece of work, with the token given for that call
 * only (engine/remote's `token` option: installations never share one). Work
 * on one repository runs one at a time; different repositories run concurrently.
 */
export class RepositoryClones {
  private readonly root: string;
  private readonly locks = new Map<number, Promise<unknown>>();

  constructor(dataDir: string) {
    this.root = path.join(dataDir, 'repositories');
    fs.mkdirSync(this.root, { recursive: true });
  }

  /** Run `work` on an up-to-date clone of `target`, alone on that repository. */
  async withClone<T>(target: RepositoryTarget, token: string, work: (clone: LocalClone) => Promise<T>): Promise<T> {
    if (!Number.isSafeInteger(target.id) || target.id <= 0) throw new Error(`invalid repository id ${String(target.id)}`);
    const previous = this.locks.get(target.id) ?? Promise.resolve();
    const run = async (): Promise<T> => work(new LocalClone(await this.update(target, token), target, token));
    const result = previous.then(run, run);
    const settled = result.catch(() => undefined);
    this.locks.set(target.id, settled);
    void settled.then(() => {
      if (this.locks.get(target.id) === settled) this.locks.delete(target.id);
    });
    return result;
  }

  /** Clone on first use, fetch `origin` afterwards (and follow a changed clone URL). */
  private async update(target: RepositoryTarget, token: string): Promise<Repository> {
    const dir = path.join(this.root, String(target.id));
    if (fs.existsSync(dir) && !fs.existsSync(path.join(dir, '.git', 'HEAD'))) fs.rmSync(dir, { recursive: true, force: true });
    if (!fs.existsSync(dir)) {
      await clone(target.cloneUrl, dir, { token });
      return openRepository(dir);
    }
    const repository = await openRepository(dir);
    const origin = (await listRemotes(repository)).find((remote) => remote.name === 'origin');
    if (origin?.url !== target.cloneUrl) {
      if (origin) await removeRemote(repository, 'origin');
      await addRemote(repository, 'origin', target.cloneUrl);
    }
    await fetch(repository, { remote: 'origin', prune: true, token });
    return repository;
  }
}
