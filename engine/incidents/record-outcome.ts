import { UsageError } from '../errors/index.js';
import type { Repository } from '../repository/repository.js';
import type { CommitId } from '../store/revision.js';
import { incidentTime, laterTime, type Incident } from './incident.js';
import { appendIncidentLog } from './incident-log.js';
import { listIncidents } from './incident-memory.js';
import { readIncidentTable } from './incident-table.js';
import { DGIT_IDENTITY } from '../repository/git-identity.js';

/**
 * Record what became of the fix on `branch` (a heal/* branch): merged into the
 * default branch, rejected, or failed (a conflict or a failing check in the merge
 * queue). Called by the merge queue when it merges or drops a branch, and usable by
 * hand or by the bot.
 *
 * The outcome is written to the incident log (`refs/dgit/incidents`), never to the
 * branch or the default branch: the queue moves the default branch only to a
 * commit it tested, and may delete the branch afterwards, so neither may change
 * under it. The record outlives the branch, `dgit incidents` and the healer's
 * memory read it, and the next proposal for the same check carries it onto its
 * heal branch, so it reaches the default branch with that fix. (A merged fix needs
 * no record to be known: its incident row arrived on the default branch with it.)
 *
 * Returns the incidents updated: those whose fix is on `branch` (read from the
 * branch when it still exists, else from the memory); none when the branch holds
 * no proposal, so callers may call it for any branch.
 */
export async function recordIncidentOutcome(
  repository: Repository,
  branch: string,
  outcome: 'merged' | 'rejected' | 'failed',
  reason: string,
): Promise<Incident[]> {
  const name = branch.startsWith('refs/heads/') ? branch.slice('refs/heads/'.length) : branch;
  if (!['merged', 'rejected', 'failed'].includes(outcome)) throw new UsageError(`unknown outcome ${JSON.stringify(outcome)}; use merged, rejected or failed`, 'outcome');
  if (reason.trim() === '') throw new UsageError('an outcome needs a reason', 'reason');
  let ofBranch: Incident[] = [];
  const head = (await repository.branchHead(name).catch(() => undefined)) as CommitId | undefined;
  if (head) ofBranch = (await readIncidentTable(repository, (await repository.readCommit(head)).tree, name)).filter((incident) => incident.fix_branch === name);
  // The branch may be gone already: its incidents are still in the log.
  const known = await listIncidents(repository);
  const ids = new Set(ofBranch.map((incident) => incident.id));
  for (const incident of known) if (incident.fix_branch === name) ids.add(incident.id);
  if (ids.size === 0) return [];
  const now = incidentTime(new Date((await repository.signature(undefined, 'COMMITTER', DGIT_IDENTITY)).timestamp * 1000));
  const updated: Incident[] = [];
  for (const id of [...ids].sort()) {
    const current = known.find((incident) => incident.id === id) ?? ofBranch.find((incident) => incident.id === id)!;
    const { source: _source, ...incident } = current as Incident & { source?: string };
    updated.push({ ...incident, outcome, reason: reason.trim(), updated_at: laterTime(now, incident.updated_at) });
  }
  await appendIncidentLog(repository, updated, `incidents: ${outcome} ${name}\n\n${reason.trim()}\n`);
  return updated;
}
