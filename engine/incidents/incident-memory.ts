import type { Repository } from '../repository/repository.js';
import type { CommitId } from '../store/revision.js';
import { laterState, type Incident } from './incident.js';
import { readIncidentLog } from './incident-log.js';
import { readIncidentTable } from './incident-table.js';

/** Branches whose names start with this hold fix proposals. */
export const HEAL_BRANCH_PREFIX = 'heal/';

/** An incident in its latest known state, and where that state was read. */
export interface KnownIncident extends Incident {
  /** The default branch's name, a heal branch's name, or `log` (refs/dgit/incidents). */
  source: string;
}

/**
 * Every incident the repository knows, latest state first by id: the rows of
 * `_dgit_incidents` on the default branch, on every heal/* branch, and in the
 * incident log, deduplicated by id (a later updated_at wins; at the same instant a
 * decision wins over a proposal). A fix's incident row travels in the fix's own
 * commit, so a row that reached the default branch still saying `proposed` was
 * merged: it reads as `merged`.
 */
export async function listIncidents(repository: Repository): Promise<KnownIncident[]> {
  const defaultBranch = await repository.defaultBranch();
  const latest = new Map<string, KnownIncident>();
  const consider = (incident: Incident, source: string) => {
    const known = latest.get(incident.id);
    const candidate: KnownIncident = { ...incident, source };
    if (!known) latest.set(incident.id, candidate);
    else if (laterState(known, candidate) === candidate && candidate !== known) latest.set(incident.id, candidate);
  };

  const mainHead = await repository.branchHead(defaultBranch);
  if (mainHead) {
    for (const incident of await readIncidentTable(repository, (await repository.readCommit(mainHead)).tree, defaultBranch)) {
      if (incident.outcome === 'proposed' && incident.fix_branch !== null)
        consider({ ...incident, outcome: 'merged', reason: `merged into ${defaultBranch}` }, defaultBranch);
      else consider(incident, defaultBranch);
    }
  }
  for (const branch of await healBranches(repository)) {
    const head = (await repository.branchHead(branch)) as CommitId;
    for (const incident of await readIncidentTable(repository, (await repository.readCommit(head)).tree, branch)) consider(incident, branch);
  }
  for (const incident of await readIncidentLog(repository)) consider(incident, 'log');
  return [...latest.values()].sort((a, b) => Date.parse(b.updated_at) - Date.parse(a.updated_at) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The names of the heal/* branches. */
export async function healBranches(repository: Repository): Promise<string[]> {
  return (await repository.refs.listBranches()).filter((name) => name.startsWith(HEAL_BRANCH_PREFIX));
}

/** An incident in its latest known state, by id. */
export async function findIncident(repository: Repository, id: string, known?: readonly KnownIncident[]): Promise<KnownIncident | undefined> {
  return (known ?? (await listIncidents(repository))).find((incident) => incident.id === id);
}

/** What the memory says about fixes of one check: strategies that were merged, and ones that were rejected. */
export interface CheckHistory {
  /** Incidents of the check whose fix was merged, newest first. */
  merged: KnownIncident[];
  /** Incidents of the check whose fix was rejected, newest first. */
  rejected: KnownIncident[];
}

/** The past fixes of a check, from the known incidents (an agent's incident counts for each check it fixed). */
export function checkHistory(known: readonly KnownIncident[], check: string): CheckHistory {
  const ofCheck = known.filter((incident) => incident.check.split(',').includes(check) && incident.strategy !== null);
  const newestFirst = (a: KnownIncident, b: KnownIncident) => Date.parse(b.updated_at) - Date.parse(a.updated_at);
  return {
    merged: ofCheck.filter((incident) => incident.outcome === 'merged').sort(newestFirst),
    rejected: ofCheck.filter((incident) => incident.outcome === 'rejected').sort(newestFirst),
  };
}
