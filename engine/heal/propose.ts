import { runChecks } from '../checks/run-checks.js';
import { readConfig } from '../config/repository-config.js';
import { DgitError, InvalidInputError } from '../errors/index.js';
import { earlierFixesOf, incidentTime, INCIDENT_SAMPLE_SIZE, type Incident } from '../incidents/incident.js';
import { appendIncidentLog } from '../incidents/incident-log.js';
import { HEAL_BRANCH_PREFIX, listIncidents } from '../incidents/incident-memory.js';
import type { Repository } from '../repository/repository.js';
import type { CommitId } from '../store/revision.js';
import { canonicalPatchText, checkPatch, parsePatch, PatchError, type FixPatch, type ParsedPatch } from './patch.js';
import { resolvePatch, rowsChanged } from './patch-resolution.js';
import { changeExtent, policyViolations, PolicyViolationError } from './policy.js';
import { checkHealBranchName, incidentId, offerProposal, oneLine, proposalPeople, recheckProposal, writeProposalCommit, type FailingRevision, type FixProposal } from './proposal.js';
import { quarantineTableName } from './quarantine.js';

export interface ProposeOptions {
  /** The revision the fix applies to (default: the head of the default branch). */
  rev?: string;
  /** The branch to create, under heal/ (default: heal/<incident>). */
  branch?: string;
  /** Where the patch came from, for errors (a file name). */
  source?: string;
  /** The author of the proposal's commit (default: the repository's user). */
  author?: { name: string; email: string };
  /** The time freshness checks are measured against (default now). */
  now?: Date;
}

export interface ProposeResult {
  /** proposed: the branch was created now; existing: the same patch was proposed before. */
  status: 'proposed' | 'existing';
  incident: string;
  branch: string;
  commit: string;
  table: string;
  strategy: 'agent';
  rows_changed: number;
  counts: { inserted: number; updated: number; deleted: number; quarantined: number; unchanged: number };
  /** Checks that failed at the revision and pass with the patch. */
  fixed: string[];
  review: string;
  reason: string;
}

/**
 * An outside agent's fix: a patch (JSON or NDJSON text, or a parsed patch) goes the
 * healer's way — values checked against the table, the policy of dgit.yml, the
 * edits applied on top of the revision, every check re-run (the patch's `checks`,
 * or its incident's, must pass; no passing check may fail) — and becomes a commit
 * on a new heal branch, with the incident (strategy `agent`) in `_dgit_incidents`.
 * Any problem is an error and nothing is written: a malformed patch, an unknown
 * table or column, a value of the wrong type, an edit with no reason, a change the
 * policy forbids. (A patch that fails the re-check leaves only unreachable objects.)
 * The same patch proposed twice on the same revision reports the first proposal.
 */
export async function propose(repository: Repository, patch: string | ParsedPatch | FixPatch, options: ProposeOptions = {}): Promise<ProposeResult> {
  const source = options.source ?? 'patch';
  const parsed = typeof patch === 'string' ? parsePatch(patch, source) : 'patch' in patch ? patch : checkPatch(patch, source);
  const table = parsed.patch.table;
  const defaultBranch = await repository.defaultBranch();
  const label = options.rev ?? defaultBranch;
  const commit = await repository.resolve(label);
  const tree = (await repository.readCommit(commit)).tree;
  const config = await readConfig(repository, tree);
  const base: FailingRevision = { commit, tree, config };

  const version = await repository.readTable(tree, table);
  if (!version) {
    const tables = [...(await repository.tableTrees(tree)).keys()];
    throw new PatchError(`table ${JSON.stringify(table)} does not exist at ${label}${tables.length ? ` (tables: ${tables.join(', ')})` : ''}`, source);
  }
  const checkIds = new Set((config?.checks ?? []).map((check) => check.id));
  for (const id of parsed.patch.checks ?? []) if (!checkIds.has(id)) throw new PatchError(`check ${JSON.stringify(id)} is not in dgit.yml at ${label}`, source);

  const known = await listIncidents(repository);
  const named = parsed.patch.incident === undefined ? undefined : known.find((incident) => incident.id === parsed.patch.incident);
  if (parsed.patch.incident !== undefined && !named) throw new PatchError(`incident ${JSON.stringify(parsed.patch.incident)} is not known (\`dgit incidents\` lists them)`, source);
  const patchHash = incidentId(`agent-${table}`, commit, canonicalPatchText(parsed.patch));
  const id = named?.id ?? patchHash;
  let branch: string;
  if (options.branch !== undefined) branch = checkHealBranchName(options.branch);
  else if (!named) branch = `${HEAL_BRANCH_PREFIX}${id}`;
  else branch = (await repository.branchHead(`${HEAL_BRANCH_PREFIX}${id}`)) ? `${HEAL_BRANCH_PREFIX}${id}-${patchHash.slice(-10)}` : `${HEAL_BRANCH_PREFIX}${id}`;

  const existingHead = await repository.branchHead(branch);
  if (existingHead) {
    const there = known.find((incident) => incident.fix_branch === branch && incident.strategy === 'agent');
    if (options.branch === undefined && there && there.id === id)
      return existingResult(there, branch, existingHead, label);
    throw new DgitError('ALREADY_EXISTS', `branch ${branch} already exists; pass --branch heal/<another name>`, branch);
  }

  const change = await resolvePatch(parsed, version, repository.chunks(), source);
  if (change.edits.length === 0) throw new PatchError(`the patch changes nothing: every edit writes the values the rows already hold`, source);
  const violations = policyViolations(config, [changeExtent(change)]);
  if (violations.length > 0) throw new PolicyViolationError(violations, source);

  // The checks at the revision, before anything is written (an invalid dgit.yml stops here).
  const before = await runChecks(repository, commit, { now: options.now });
  const mustPass = parsed.patch.checks ?? (named ? named.check.split(',').filter((c) => checkIds.has(c)) : []);
  const people = await proposalPeople(repository, options.author);
  const now = incidentTime(new Date(people.committer.timestamp * 1000));
  const failingBefore = before.results.filter((result) => !result.passed);
  const targeted = failingBefore.filter((result) => mustPass.includes(result.check));
  const rows = rowsChanged(change);
  const { inserted, updated, deleted, quarantined } = change.counts;
  const summaryParts = [updated && `${updated} updated`, inserted && `${inserted} inserted`, deleted && `${deleted} deleted`, quarantined && `${quarantined} moved to ${quarantineTableName(table)}`].filter(Boolean);
  const incidentFor = (checks: string[]): Incident => ({
    id,
    check: named ? named.check : checks.join(','),
    table,
    kind: named ? named.kind : checks.length === 1 ? (before.results.find((r) => r.check === checks[0])?.kind ?? null) : null,
    severity: named ? named.severity : checks.length === 1 ? (before.results.find((r) => r.check === checks[0])?.severity ?? null) : null,
    first_seen: named ? named.first_seen : commit,
    last_seen: named ? named.last_seen : commit,
    seen: named ? named.seen : 1,
    failing_count: named ? named.failing_count : failingBefore.filter((r) => checks.includes(r.check)).reduce((sum, r) => sum + r.failing_rows, 0),
    sample: named ? named.sample : (targeted[0]?.sample ?? failingBefore.find((r) => checks.includes(r.check))?.sample ?? []).slice(0, INCIDENT_SAMPLE_SIZE),
    fix_branch: branch,
    strategy: 'agent',
    rows_changed: rows,
    outcome: 'proposed',
    reason: `agent: ${rows} row${rows === 1 ? '' : 's'} of ${table} changed (${summaryParts.join(', ')})${checks.length ? ` so that ${checks.join(', ')} pass${checks.length === 1 ? 'es' : ''}` : ''}`,
    created_at: named ? named.created_at : now,
    updated_at: now,
    // An agent's edits carry no kind: only its quarantines are named; whether the rest restores the truth is for the reviewer.
    fix_kinds: quarantined > 0 ? { quarantined } : null,
    resolution: quarantined > 0 ? 'contained' : null,
    evidence: null,
    review: null,
    accepted_by: null,
    earlier_fixes: named ? earlierFixesOf(named) : [],
  });
  const message = (incident: Incident) =>
    [
      `heal: ${incident.check || table} by agent`,
      '',
      `${incident.reason}.`,
      '',
      'Edits:',
      ...change.edits.slice(0, 20).map((edit) => `- ${edit.op} ${JSON.stringify(edit.key)}: ${oneLine(edit.reason)}`),
      ...(change.edits.length > 20 ? [`- … and ${change.edits.length - 20} more (see the diff)`] : []),
      '',
      `dgit-incident: ${id}`,
      `dgit-strategy: agent`,
      '',
    ].join('\n');

  const proposalFor = (incident: Incident): FixProposal => ({ fix: { kind: 'edits', change }, incident, carried: [], message: message(incident) });
  let incident = incidentFor(mustPass);
  let written = await writeProposalCommit(repository, base, proposalFor(incident), people);
  const { recheck } = await recheckProposal(repository, written.commit, before, mustPass, options.now);
  if (!recheck.ok) throw new InvalidInputError(`the patch is not offered: ${recheck.reason}`, source);
  // Name the checks the patch turned from failing to passing. Only the incident row differs from what was checked.
  if (!named && mustPass.length === 0 && recheck.fixed.length > 0) {
    incident = incidentFor(recheck.fixed);
    written = await writeProposalCommit(repository, base, proposalFor(incident), people);
  }
  if (!(await offerProposal(repository, branch, written.commit))) throw new DgitError('ALREADY_EXISTS', `branch ${branch} was created meanwhile by another process`, branch);
  await appendIncidentLog(repository, [incident], `incidents: agent proposal on ${branch}\n`);
  return {
    status: 'proposed',
    incident: id,
    branch,
    commit: written.commit,
    table,
    strategy: 'agent',
    rows_changed: rows,
    counts: change.counts,
    fixed: recheck.fixed,
    review: `dgit diff ${label} ${branch}`,
    reason: recheck.reason,
  };
}

function existingResult(incident: Incident, branch: string, head: CommitId, label: string): ProposeResult {
  return {
    status: 'existing',
    incident: incident.id,
    branch,
    commit: head,
    table: incident.table,
    strategy: 'agent',
    rows_changed: incident.rows_changed ?? 0,
    counts: { inserted: 0, updated: 0, deleted: 0, quarantined: 0, unchanged: 0 },
    fixed: incident.check ? incident.check.split(',') : [],
    review: `dgit diff ${label} ${branch}`,
    reason: `proposed before: ${incident.reason ?? ''}`,
  };
}
