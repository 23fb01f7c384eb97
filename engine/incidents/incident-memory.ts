import type { Repository } from '../repository/repository.js';
import type { CommitId } from '../store/revision.js';
import { isOpenOutcome, laterState, type Incident } from './incident.js';
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
 * merged: it reads as `merged`, and a later `proposed` state of that same fix (the
 * healer noting the check failed again while the fix waited) does not undo that.
 */
export async function listIncidents(repository: Repository): Promise<KnownIncident[]> {
  const defaultBranch = await repository.defaultBranch();
  const latest = new Map<string, KnownIncident>();
  const mergedHere = new Set<string>();
  const consider = (incident: Incident, source: string) => {
    const known = latest.get(incident.id);
    const candidate: KnownIncident = { ...incident, source };
    if (known && mergedHere.has(known.id) && candidate.outcome === 'proposed' && candidate.fix_branch === known.fix_branch) return;
    if (!known) latest.set(incident.id, candidate);
    else if (laterState(known, candidate) === candidate && candidate !== known) latest.set(incident.id, candidate);
  };

  const mainHead = await repository.branchHead(defaultBranch);
  if (mainHead) {
    for (const incident of await readIncidentTable(repository, (await repository.readCommit(mainHead)).tree, defaultBranch)) {
      if (incident.outcome === 'proposed' && incident.fix_branch !== null) {
        consider({ ...incident, outcome: 'merged', reason: `merged into ${defaultBranch}` }, defaultBranch);
        mergedHere.add(incident.id);
      } else consider(incident, defaultBranch);
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

/**
 * The past fixes of a check, from the known incidents (an agent's incident counts
 * for each check it fixed). A reopened incident's earlier fixes count too: a fix
 * rejected before the incident got a new one is still a rejected fix.
 */
export function checkHistory(known: readonly KnownIncident[], check: string): CheckHistory {
  const ofCheck = known.filter((incident) => incident.check.split(',').includes(check));
  const newestFirst = (a: KnownIncident, b: KnownIncident) => Date.parse(b.updated_at) - Date.parse(a.updated_at);
  const earlierRejected = ofCheck.flatMap((incident) =>
    incident.earlier_fixes.filter((fix) => fix.outcome === 'rejected').map((fix): KnownIncident => ({ ...incident, ...fix, earlier_fixes: [] })),
  );
  return {
    merged: ofCheck.filter((incident) => incident.outcome === 'merged' && incident.strategy !== null).sort(newestFirst),
    rejected: [...ofCheck.filter((incident) => incident.outcome === 'rejected' && incident.strategy !== null).sort(newestFirst), ...earlierRejected],
  };
}

/**
 * The open incident of a check on a table (not merged, not accepted), the latest
 * if an older dgit left several: a new failure of the check belongs to it. An
 * agent's incident of that one check counts (its fix may be waiting); one of
 * several checks does not.
 */
export function openIncidentOf(known: readonly KnownIncident[], check: string, table: string): KnownIncident | undefined {
  return known
    .filter((incident) => incident.check === check && incident.table === table && isOpenOutcome(incident.outcome))
    .sort((a, b) => Date.parse(b.updated_at) - Date.parse(a.updated_at))[0];
}

/** Closed incidents of a check (a fix merged, or the new state accepted), newest first: what the healer recalls when it fails again. */
export function closedIncidentsOf(known: readonly KnownIncident[], check: string): KnownIncident[] {
  return known
    .filter((incident) => incident.check.split(',').includes(check) && !isOpenOutcome(incident.outcome))
    .sort((a, b) => Date.parse(b.updated_at) - Date.parse(a.updated_at));
}
