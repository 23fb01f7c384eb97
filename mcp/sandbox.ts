import crypto from 'node:crypto';
import { AgentRefusal } from './refusal.js';
import { loadSyncApi, UsageError, type Repository } from '../engine/index.js';

const { HEAL_BRANCH_PREFIX, checkBranchName } = await loadSyncApi();

/** A session name: what follows `heal/agent-` in the sandbox's branches. */
export const SESSION_PATTERN = /^[a-z0-9][a-z0-9-]{0,39}$/;
const BRANCH_SUFFIX = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * An agent's sandbox: the branches `heal/agent-<session>/*`. The agent interface
 * writes proposals only there, each on a new branch (never moving one that
 * exists), so one agent can neither touch the default branch nor another agent's
 * proposals.
 */
export class Sandbox {
  /** The branch name prefix, with its trailing slash (so agent-ab never covers agent-abc). */
  readonly prefix: string;

  constructor(readonly session: string) {
    if (!SESSION_PATTERN.test(session)) throw new UsageError(`a session name is 1 to 40 lower-case letters, digits and dashes, not ${JSON.stringify(session)}`, '--session');
    this.prefix = `${HEAL_BRANCH_PREFIX}agent-${session}/`;
  }

  /** A sandbox with a new random session name. */
  static fresh(): Sandbox {
    return new Sandbox(crypto.randomBytes(4).toString('hex'));
  }

  contains(branch: string): boolean {
    const name = branch.startsWith('refs/heads/') ? branch.slice('refs/heads/'.length) : branch;
    return name.startsWith(this.prefix) && BRANCH_SUFFIX.test(name.slice(this.prefix.length)) && !name.includes('..') && !name.endsWith('.lock');
  }

  /** `branch` when it is one of this sandbox's branch names; an AgentRefusal otherwise. */
  own(branch: string, where = 'branch'): string {
    const name = branch.startsWith('refs/heads/') ? branch.slice('refs/heads/'.length) : branch;
    if (!this.contains(name))
      throw new AgentRefusal('sandbox', `an agent writes only to its own sandbox ${this.prefix}<name> (e.g. ${this.prefix}1), not ${JSON.stringify(branch)}`, where);
    checkBranchName(name);
    return name;
  }

  /** The sandbox's next numbered branch: heal/agent-<session>/<1 + the highest number there>. */
  async nextBranch(repository: Repository): Promise<string> {
    let highest = 0;
    for (const branch of await repository.refs.listBranches()) {
      if (!branch.startsWith(this.prefix)) continue;
      const suffix = branch.slice(this.prefix.length);
      if (/^\d{1,9}$/.test(suffix)) highest = Math.max(highest, Number(suffix));
    }
    return `${this.prefix}${highest + 1}`;
  }
}
