import { ConcurrentUpdateError, DgitError } from '../errors/index.js';
import { DGIT_IDENTITY } from '../repository/git-identity.js';
import type { Repository } from '../repository/repository.js';
import type { ObjectId } from '../store/object-store.js';
import type { CommitId } from '../store/revision.js';
import { EMPTY_TREE } from '../table/root-tree.js';
import { GitChunkStore } from '../table/git-chunk-store.js';
import type { Incident } from './incident.js';
import { readIncidentTable, writeIncidentRows } from './incident-table.js';

/**
 * The incident log: `refs/dgit/incidents`, a chain of commits whose tree holds one
 * dgit table, `_dgit_incidents`, with the latest state of every incident this
 * repository has seen. Branches carry the incidents of their own fixes; the log
 * also keeps what no branch carries: incidents for which no fix could be offered,
 * and outcomes decided after the fact (merged, rejected, failed in the queue),
 * which must outlive the deletion of a heal branch. It is a ref outside
 * refs/heads, so no branch, merge queue or pull request sees it; `git push origin
 * 'refs/dgit/*'` shares it, and any git reads it.
 */
export const INCIDENT_LOG_REF = 'refs/dgit/incidents';

/** Attempts at moving the log when other writers keep winning the compare-and-swap. */
const LOG_RETRIES = 8;

/** The incidents of the log (none before the first is recorded). */
export async function readIncidentLog(repository: Repository): Promise<Incident[]> {
  const head = (await repository.refs.resolve(INCIDENT_LOG_REF)) as CommitId | undefined;
  if (!head) return [];
  const tree = (await repository.readCommit(head)).tree;
  return readIncidentTable(repository, tree, INCIDENT_LOG_REF);
}

/**
 * Record incidents in the log (new ones, or new states of known ones) as one
 * commit; the ref moves by compare-and-swap, retried on top of a concurrent
 * writer's commit, so no record is lost.
 */
export async function appendIncidentLog(repository: Repository, incidents: readonly Incident[], message: string): Promise<CommitId | undefined> {
  if (incidents.length === 0) return undefined;
  for (let attempt = 0; ; attempt++) {
    const head = (await repository.refs.resolve(INCIDENT_LOG_REF)) as CommitId | undefined;
    const baseTree: ObjectId = head ? (await repository.readCommit(head)).tree : EMPTY_TREE;
    const tx = repository.store.transaction();
    let commit: CommitId;
    try {
      const chunks = new GitChunkStore(repository.store, tx);
      const tree = await writeIncidentRows(repository, { writer: tx, chunks }, baseTree, incidents);
      if (tree === baseTree && head) {
        tx.discard();
        return head;
      }
      const signature = await repository.signature(undefined, 'COMMITTER', DGIT_IDENTITY);
      commit = repository.writeCommit(tx, { tree, parents: head ? [head] : [], author: signature, committer: signature, message });
      tx.commit();
    } catch (error) {
      tx.discard();
      throw error;
    }
    try {
      await repository.refs.compareAndSwap(INCIDENT_LOG_REF, head, commit);
      return commit;
    } catch (error) {
      if (!(error instanceof ConcurrentUpdateError) || attempt >= LOG_RETRIES) throw error;
      if (error instanceof DgitError) await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20 * (attempt + 1)));
    }
  }
}
