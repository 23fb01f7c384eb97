import type { Progress } from '../progress.js';
import type { CheckReport, CheckResult } from '../checks/check-result.js';
import { runChecks } from '../checks/run-checks.js';
import { UnknownNameError } from '../errors/index.js';
import { ConfigError } from '../config/config-error.js';
import type { ConfiguredCheck, DuplicateRule } from '../config/configured-check.js';
import { readConfig } from '../config/repository-config.js';
import { earlierFixesOf, fixKindsText, incidentTime, INCIDENT_SAMPLE_SIZE, laterTime, resolutionOf, type Incident, type IncidentOutcome } from '../incidents/incident.js';
import { appendIncidentLog } from '../incidents/incident-log.js';
import { checkHistory, closedIncidentsOf, HEAL_BRANCH_PREFIX, openIncidentOf, type KnownIncident, listIncidents } from '../incidents/incident-memory.js';
import { readIncidentTable } from '../incidents/incident-table.js';
import type { Repository } from '../repository/repository.js';
import type { Signature } from '../store/git-objects.js';
import type { CommitId } from '../store/revision.js';
import { checkPatch, MAX_REASON } from './patch.js';
import { resolvePatch, rowsChanged, type TableChange } from './patch-resolution.js';
import { changeExtent, policyViolations, type ChangeExtent } from './policy.js';
import { incidentId, offerProposal, oneLine, proposalPeople, recheckProposal, writeProposalCommit, type FailingRevision, type FixProposal, type TableFix } from './proposal.js';
import { quarantineTableName } from './quarantine.js';
import type { Recheck } from './recheck.js';
import { coerceTypeBuilder, planCoercion, planName, planNamed, plansFor, runPlan, SessionPool, StrategyContext, typeDriftOf, type FixKind, type Plan } from './strategies/index.js';
import { recallOrder } from './recall.js';
import { restoreReferenced, revertDeletes } from './strategies/cause.js';
import { restore } from './strategies/restore.js';
import { REVIEW_TRAILER } from './review.js';

export interface HealOptions {
  /** Heal only these checks (by id); default every failing check. */
  checks?: string[];
  /**
   * How the rows sharing a value of a unique check are resolved once exact
   * duplicates are gone, by check id; overrides the check's `keep`/`by` in dgit.yml
   * (default there: the row of the latest load).
   */
  duplicates?: Record<string, DuplicateRule>;
  /** The author of the proposals' commits (default: the repository's user). */
  author?: { name: string; email: string };
  /** The time freshness checks are measured against (default now). */
  now?: Date;
  /** Told as checks run and incidents are healed. */
  progress?: Progress;
}

/** One strategy the healer tried for an incident. */
export interface HealAttempt {
  strategy: string;
  offered: boolean;
  reason: string;
  /** Tried first because it fixed the same check before. */
  remembered: boolean;
}

/** An earlier, closed incident of the same check, recalled when it fails again: the fix that landed, or who accepted. */
export interface RecalledIncident {
  incident: string;
  outcome: IncidentOutcome;
  strategy: string | null;
  fix_branch: string | null;
  reason: string | null;
  first_seen: string;
}

/** What the healer did about one failing check. */
export interface HealIncident {
  incident: string;
  check: string;
  table: string;
  kind: string;
  severity: string;
  failing_rows: number;
  /** The commit the incident was first seen failing at: earlier than the healed revision when the check failed again while the incident was open. */
  first_seen: string;
  /** At how many revisions the incident was seen failing (1 for a new one). */
  seen: number;
  /** Closed incidents of the same check, newest first (at most 5), with the fix that landed. */
  previous: RecalledIncident[];
  /**
   * proposed: a fix is offered now; existing: an earlier run handled this incident at
   * this revision, or its fix still waits on its branch; failed: no fix could be offered.
   */
  status: 'proposed' | 'existing' | 'failed';
  outcome: IncidentOutcome;
  strategy: string | null;
  branch: string | null;
  commit: string | null;
  /** Rows of the table the fix changes (updated, deleted or quarantined). */
  rows_changed: number;
  /** Of those, rows moved to `<table>__quarantine`. */
  quarantined: number;
  /** Rows changed by what was done to them: restored, normalized, coerced, deduplicated, defaulted, quarantined. */
  kinds: Partial<Record<FixKind, number>>;
  /** fixed, or contained (some rows only defaulted or quarantined); null without a fix. */
  resolution: 'fixed' | 'contained' | null;
  /** The commit restored values came from. */
  evidence: string | null;
  /** The fix lands only after a person reviewed it. */
  review_required: boolean;
  reason: string;
  /** What the memory said: the strategy that fixed this check before, tried first. */
  memory: string | null;
  attempts: HealAttempt[];
  /** The command to review the fix. */
  review: string | null;
}

export interface HealReport {
  /** The failing revision: proposals branch from it. */
  revision: CommitId;
  /** The revision as given (default: the default branch). */
  rev: string;
  /** False when the revision has no dgit.yml (nothing to heal). */
  config: boolean;
  incidents: HealIncident[];
  /** Every failing check has a proposal (now or from an earlier run). */
  healed: boolean;
}

/**
 * Turn the failing checks of a revision (default: the head of the default branch)
 * into incidents and, where a built-in strategy fits, fix proposals: one commit per
 * incident on a new branch `heal/<incident>` from the failing revision, with the
 * row edits and their reasons, rows that cannot be fixed moved to
 * `<table>__quarantine`, and the incident in `_dgit_incidents`. A proposal is
 * offered only within dgit.yml's policy and only when re-running the checks on it
 * shows the failing check passes and no passing check fails. The default branch,
 * the current branch and every working set are never touched. Errors before the
 * first check, severity error first; a check that fixed before by a strategy tries
 * that strategy first. Healing a revision again finds the same incidents and
 * reports them rather than proposing twice.
 */
export async function heal(repository: Repository, rev?: string, options: HealOptions = {}): Promise<HealReport> {
  const defaultBranch = await repository.defaultBranch();
  const label = rev ?? defaultBranch;
  const commit = await repository.resolve(label);
  const tree = (await repository.readCommit(commit)).tree;
  const config = await readConfig(repository, tree);
  if (!config) return { revision: commit, rev: label, config: false, incidents: [], healed: true };
  const base: FailingRevision = { commit, tree, config };
  const sessions = new SessionPool();
  try {
    const known = await listIncidents(repository);
    // Enough failing rows for any fix the policy allows (a unique check's duplicates are up to twice the rows a fix
    // deletes), and one more to tell when there are too many: healing a huge failure reads no more than that.
    const policy = config.config.policy;
    const sampleSize = policy ? 2 * policy.max_rows_per_proposal + 1 : 10;
    // A drifted column is a failing schema result here, never a ConfigError (that is a broken dgit.yml).
    const report: CheckReport = await runChecks(repository, commit, { sampleSize, now: options.now, progress: options.progress });
    // A check named that does not exist would be "every check passes": a green answer about nothing.
    const checkIds = new Set([...config.checks.map((c) => c.id), ...report.results.map((r) => r.check)]);
    const unknown = options.checks?.find((id) => !checkIds.has(id));
    if (unknown !== undefined) throw new UnknownNameError('check', unknown, [...checkIds].sort(), `dgit.yml at ${label}`);
    const people = await proposalPeople(repository, options.author);
    const session: HealSession = {
      repository,
      base,
      label,
      report,
      known,
      onBase: await readIncidentTable(repository, tree, label),
      people,
      now: incidentTime(new Date(people.committer.timestamp * 1000)),
      sessions,
      options,
      toLog: [],
    };
    const incidents: HealIncident[] = [];
    // Checks blocked by a drifted column wait for the type fix: they are not incidents of their own.
    const failing = report.results.filter((result) => !result.passed && !result.blocked_by && selected(options, result.check));
    // Errors first, then warnings; each in dgit.yml order.
    failing.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1));
    for (const [done, result] of failing.entries()) {
      options.progress?.({ phase: 'Healing failed checks', done, total: failing.length, unit: 'checks' });
      incidents.push(result.kind === 'schema' ? await healDrift(session, result) : await healCheck(session, result));
    }
    await appendIncidentLog(repository, session.toLog, `incidents: heal ${label} (${commit.slice(0, 12)})\n\n${session.toLog.map((i) => `${i.id}: ${i.outcome}`).join('\n')}\n`);
    const healed = incidents.every((incident) => incident.outcome !== 'failed' && incident.outcome !== 'rejected');
    return { revision: commit, rev: label, config: true, incidents, healed };
  } finally {
    await sessions.close();
  }
}

/** What one heal run shares between its incidents. */
interface HealSession {
  repository: Repository;
  base: FailingRevision;
  label: string;
  report: CheckReport;
  known: KnownIncident[];
  /** The incidents `_dgit_incidents` holds at the failing revision. */
  onBase: Incident[];
  people: { author: Signature; committer: Signature };
  now: string;
  sessions: SessionPool;
  options: HealOptions;
  /** Incidents to record in the incident log at the end. */
  toLog: Incident[];
}

function selected(options: HealOptions, check: string): boolean {
  return !options.checks || options.checks.includes(check);
}

/** A failing check, or a drifted column, about to become an incident. */
interface Failure {
  check: string;
  table: string;
  kind: string;
  severity: string;
  failingRows: number;
  sample: CheckResult['sample'];
  message: string;
}

/** One fix to try: its name, and how to build it (or why it cannot be built). */
interface Candidate {
  name: string;
  build: () => Promise<BuiltFix | { fail: string }>;
  mustPass: string[];
}

/** A fix ready to be committed and re-checked. */
interface BuiltFix {
  fix: TableFix;
  extent: ChangeExtent;
  strategy: string;
  change?: TableChange;
  /** Rows changed by what was done to them. */
  kinds: Partial<Record<FixKind, number>>;
  /** The commit restored values come from. */
  evidence: string | null;
  /** Only a person may decide to land it (policy.land_unreviewed aside): its row count is not capped by the policy. */
  reviewRequired: boolean;
  /** Lines listing what the fix does row by row beyond its edits (values nulled by a type fix). */
  listed?: string[];
}

async function healCheck(session: HealSession, result: CheckResult): Promise<HealIncident> {
  const { repository, base } = session;
  const check = base.config!.checks.find((c) => c.id === result.check)!;
  const failure: Failure = {
    check: result.check,
    table: result.table,
    kind: result.kind,
    severity: result.severity,
    failingRows: result.failing_rows,
    sample: result.sample,
    message: result.message,
  };
  const start = await openIncident(session, failure);
  if ('report' in start) return start.report;
  if (result.error) return failIncident(session, failure, start, `the check could not run: ${result.error}`, [], null);

  const rule: DuplicateRule = session.options.duplicates?.[check.id] ?? (check.kind === 'unique' ? check.keep : { keep: 'latest-load' });
  const version = await repository.requireTable(base.tree, check.table, check.table);
  const context = new StrategyContext(repository, base, check, result, version, rule, session.sessions);
  const restorable = check.kind !== 'unique' && result.sample.length > 0 && result.sample.length >= result.failing_rows && (await restoresSome(context, result));
  const plans = plansFor(check, rule, { restorable });
  const causes = causeCandidates(session, check, result, start.id);
  if (plans.length === 0 && causes.length === 0)
    return failIncident(session, failure, start, `no built-in strategy fixes a ${check.kind} check; an agent can propose a fix with \`dgit propose --patch FILE\``, [], null);
  // Without a policy the sample holds 10 rows and no table is open to the healer: the policy refusal below says so.
  const policy = base.config!.config.policy;
  if (policy && result.sample.length < result.failing_rows)
    return failIncident(
      session,
      failure,
      start,
      `${check.id} fails on ${result.failing_rows} rows, more than any proposal may change (policy.max_rows_per_proposal is ${policy.max_rows_per_proposal})`,
      [],
      null,
    );
  const planCandidate = (plan: Plan): Candidate => ({
    name: planName(plan),
    mustPass: [check.id],
    build: async () => {
      const outcome = await runPlan(context, plan, result.sample);
      if (!outcome.ok) return { fail: outcome.reason };
      const strategy = planName(outcome.effective);
      const parsed = checkPatch({ table: check.table, incident: start.id, checks: [check.id], edits: withinReasonLimit(outcome.edits) }, `${strategy} patch`);
      const change = await resolvePatch(parsed, version, repository.chunks(), `${strategy} patch`);
      const evidence = outcome.effective.includes('restore') ? ((await context.evidence())?.past.commit ?? null) : null;
      return { fix: { kind: 'edits', change }, extent: changeExtent(change), strategy, change, kinds: outcome.kinds, evidence, reviewRequired: false };
    },
  });
  // The cause first (restore the referenced rows, revert a partial load's deletes), then the rows' own plans; the memory
  // may put the strategy that fixed this check before ahead of them, even a plan the list leaves out.
  const extra = (strategy: string) => {
    const plan = planNamed(check, rule, strategy, { restorable });
    return plan ? planCandidate(plan) : undefined;
  };
  const { ordered, memory } = withoutRejectedHere(start, recallOrder(check.id, checkHistory(session.known, check.id), [...causes, ...plans.map(planCandidate)], extra));
  return tryCandidates(session, failure, start, ordered, memory);
}

/** Fixes of the cause of a failing check, when it has one: restore-referenced (foreign_key), revert-deletes (row_count). */
function causeCandidates(session: HealSession, check: ConfiguredCheck, result: CheckResult, id: string): Candidate[] {
  const { repository, base } = session;
  const make = (name: 'restore-referenced' | 'revert-deletes', find: typeof restoreReferenced): Candidate => ({
    name,
    mustPass: [check.id],
    build: async () => {
      const found = await find(repository, base, check, result);
      if ('fail' in found) return found;
      const version = await repository.requireTable(base.tree, found.table, found.table);
      const parsed = checkPatch({ table: found.table, incident: id, checks: [check.id], edits: withinReasonLimit(found.edits) }, `${name} patch`);
      const change = await resolvePatch(parsed, version, repository.chunks(), `${name} patch`);
      return { fix: { kind: 'edits', change }, extent: changeExtent(change), strategy: name, change, kinds: { restored: rowsChanged(change) }, evidence: found.evidence, reviewRequired: found.reviewRequired };
    },
  });
  if (check.kind === 'foreign_key') return [make('restore-referenced', restoreReferenced)];
  const change = (result.observed as { change?: number | null } | undefined)?.change;
  if (check.kind === 'row_count' && result.compared_with && typeof change === 'number' && change < 0) return [make('revert-deletes', revertDeletes)];
  return [];
}

/** Whether some failing row has a good earlier version to restore (then every plan starts with restore). */
async function restoresSome(context: StrategyContext, result: CheckResult): Promise<boolean> {
  if (context.check.kind === 'row_count' || context.check.kind === 'sql' || context.check.kind === 'freshness') return false;
  const outcome = await restore(context, result.sample);
  return 'edits' in outcome && outcome.edits.length > 0;
}

async function healDrift(session: HealSession, result: CheckResult): Promise<HealIncident> {
  const failure: Failure = {
    check: result.check,
    table: result.table,
    kind: 'schema',
    severity: result.severity,
    failingRows: result.failing_rows,
    sample: result.sample,
    message: result.message,
  };
  const start = await openIncident(session, failure);
  if ('report' in start) return start.report;
  const drift = await typeDriftOf(session.repository, result);
  if ('unknown' in drift) return failIncident(session, failure, start, `no type fix: ${drift.unknown}`, [], null);
  const candidate: Candidate = {
    name: 'coerce-type',
    mustPass: [result.check],
    build: async () => {
      const plan = await planCoercion(session.repository, session.base, drift, session.sessions);
      const rows = (list: Array<{ key: Record<string, unknown>; value: string }>) =>
        list
          .slice(0, 20)
          .map((row) => `${JSON.stringify(row.key)} ${JSON.stringify(row.value)}`)
          .join('; ') + (list.length > 20 ? `; … and ${list.length - 20} more` : '');
      if (plan.inexact.length > 0)
        return { fail: `${plan.inexact.length} value${plan.inexact.length === 1 ? '' : 's'} of ${drift.column} cannot be held exactly by ${drift.to} and would be rounded, so there is no type fix: ${rows(plan.inexact)}` };
      const rule = session.base.config?.config.policy?.tables[drift.table];
      if (plan.unconvertible.length > 0 && !rule?.null_unconvertible)
        return {
          fail: `${plan.unconvertible.length} value${plan.unconvertible.length === 1 ? ' of ' + drift.column + ' is not' : 's of ' + drift.column + ' are not'} ${drift.to} (${rows(plan.unconvertible)}); policy.tables.${drift.table}.null_unconvertible does not allow turning them into null`,
        };
      const changed = plan.respelled + plan.restored.length + plan.unconvertible.length;
      const kinds: Partial<Record<FixKind, number>> = {};
      if (plan.restored.length > 0) kinds.restored = plan.restored.length;
      if (plan.respelled > 0) kinds.coerced = plan.respelled;
      if (plan.unconvertible.length > 0) kinds.defaulted = plan.unconvertible.length;
      return {
        fix: { kind: 'rewrite', table: drift.table, build: coerceTypeBuilder(session.repository, session.base, drift, session.sessions, plan.restored) },
        // Rows whose value changes count (re-spelled or nulled), not every row of the column.
        extent: { table: drift.table, rows: changed, columns: new Map([[drift.column, 'coerce-type']]), removals: { count: 0 } },
        strategy: 'coerce-type',
        kinds,
        evidence: drift.toAt,
        reviewRequired: false,
        listed: [
          ...plan.restored.map((row) => `restore ${JSON.stringify(row.key)}: ${drift.column} ${JSON.stringify(row.value)} is no ${drift.to}; restored from ${drift.toAt.slice(0, 12)}, where it was ${JSON.stringify(row.was)}`),
          ...plan.unconvertible.map((row) => `null ${JSON.stringify(row.key)}: ${drift.column} ${JSON.stringify(row.value)} is no ${drift.to} (policy.tables.${drift.table}.null_unconvertible)`),
        ],
      };
    },
  };
  const { ordered, memory } = withoutRejectedHere(start, recallOrder(result.check, checkHistory(session.known, result.check), [candidate]));
  return tryCandidates(session, failure, start, ordered, memory);
}

/** Where a failure's incident stands before a fix is tried: its id, the branch a fix goes on, and the open incident it continues. */
interface IncidentStart {
  id: string;
  branch: string;
  /** The open incident of the check when it failed before and no fix landed since (the failure continues it); null for a new incident. */
  reopened: KnownIncident | null;
  /** Strategies of fixes rejected for the incident when healing the revision it opened at again: on the same rows they would be the same fixes, so they are not offered again. */
  rejectedHere?: string[];
}

/** The candidates to try, without the strategies rejected at this revision (and the memory saying so). */
function withoutRejectedHere<C extends { name: string }>(start: IncidentStart, recalled: { ordered: C[]; memory: string | null }): { ordered: C[]; memory: string | null } {
  const rejected = recalled.ordered.filter((candidate) => start.rejectedHere?.includes(candidate.name)).map((candidate) => candidate.name);
  if (rejected.length === 0) return recalled;
  const note = `${rejected.join(', ')} ${rejected.length === 1 ? 'was' : 'were'} rejected at this revision, so ${rejected.length === 1 ? 'it is' : 'they are'} not offered again here`;
  return { ordered: recalled.ordered.filter((candidate) => !rejected.includes(candidate.name)), memory: recalled.memory ? `${recalled.memory}; ${note}` : note };
}

/**
 * The incident a failure belongs to. A failure at a revision an earlier run
 * healed reports that run's incident. Otherwise, when the check has an open
 * incident (no fix merged, nothing accepted), the failure continues it: same id,
 * same first_seen, last_seen and the counts moved on. Only when every incident of
 * the check is closed does a new one open, with an id from the check and revision.
 *
 * A heal branch is never moved or overwritten, so no proposal is lost: while the
 * open incident's fix still waits on its branch, no second fix is proposed (two
 * fixes of one incident could both land); the failure is recorded on the incident
 * and the report says to merge or reject the waiting fix first. After a fix was
 * rejected or failed, the new fix goes on `heal/<id>` when that branch is gone,
 * else on `heal/<id>-<10 hex of the revision>`, leaving the old branch as it was.
 */
async function openIncident(session: HealSession, failure: Failure): Promise<IncidentStart | { report: HealIncident }> {
  const { repository, base, known } = session;
  const fresh = incidentId(failure.check, base.commit);
  const freshBranch = `${HEAL_BRANCH_PREFIX}${fresh}`;
  const handled = known.find((incident) => incident.id === fresh);
  const freshHead = await repository.branchHead(freshBranch);
  // A fix a person rejected at this revision is not an answer: healing it again offers the next fix (README: "reject
  // it and heal again"), on a branch of its own, never a strategy rejected here (see withoutRejectedHere).
  const retry = handled?.outcome === 'rejected';
  if (!retry && (handled || freshHead)) return { report: existingReport(session, failure, handled, handled?.fix_branch ?? freshBranch, freshHead) };
  const open = openIncidentOf(known, failure.check, failure.table);
  if (!open) return { id: fresh, branch: freshBranch, reopened: null };
  const openHead = open.fix_branch ? await repository.branchHead(open.fix_branch) : undefined;
  if (!retry && (open.first_seen === base.commit || open.last_seen === base.commit)) return { report: existingReport(session, failure, open, open.fix_branch, openHead) };
  if (open.outcome === 'proposed' && open.fix_branch && openHead) {
    const again = seenAgain(session, failure, open);
    session.toLog.push(again);
    const reason =
      `${failure.check} failed again at ${base.commit.slice(0, 12)} (${failure.failingRows} row${failure.failingRows === 1 ? '' : 's'}; seen at ${again.seen} revisions since ${open.first_seen.slice(0, 12)}); ` +
      `its fix waits on ${open.fix_branch} and may not cover the new rows: merge it, or reject it (\`dgit incidents --record ${open.fix_branch} --outcome rejected --reason …\`) and heal again`;
    return { report: { ...existingReport(session, failure, again, open.fix_branch, openHead), reason } };
  }
  const own = `${HEAL_BRANCH_PREFIX}${open.id}`;
  let branch = (await repository.branchHead(own)) ? `${own}-${base.commit.slice(0, 10)}` : own;
  // Each fix after a rejection at this revision gets a branch of its own: the rejected ones stay as they were.
  if (retry) for (let n = 2; await repository.branchHead(branch); n++) branch = `${own}-${base.commit.slice(0, 10)}-${n}`;
  const head = await repository.branchHead(branch);
  // Another heal of this revision offered it first, and has not recorded it yet.
  if (head) return { report: existingReport(session, failure, undefined, branch, head) };
  const rejectedHere = retry && handled ? earlierFixesOf(handled).filter((fix) => fix.outcome === 'rejected').map((fix) => fix.strategy) : [];
  return { id: open.id, branch, reopened: open, ...(rejectedHere.length > 0 ? { rejectedHere } : {}) };
}

/** An open incident seen failing again at the healed revision: its id, first_seen and fix kept, the failure's counts and sample new. */
function seenAgain(session: HealSession, failure: Failure, open: KnownIncident): Incident {
  const { source: _source, ...incident } = open;
  return {
    ...incident,
    last_seen: session.base.commit,
    seen: open.seen + 1,
    failing_count: failure.failingRows,
    sample: failure.sample.slice(0, INCIDENT_SAMPLE_SIZE),
    updated_at: laterTime(session.now, open.updated_at),
  };
}

/** The report of an incident an earlier run handled (or whose fix waits): what the memory says about it. */
function existingReport(session: HealSession, failure: Failure, state: Incident | undefined, branch: string | null, head: string | undefined): HealIncident {
  return {
    incident: state?.id ?? incidentId(failure.check, session.base.commit),
    check: failure.check,
    table: failure.table,
    kind: failure.kind,
    severity: failure.severity,
    failing_rows: failure.failingRows,
    first_seen: state?.first_seen ?? session.base.commit,
    seen: state?.seen ?? 1,
    previous: previousIncidents(session, failure.check),
    status: 'existing',
    outcome: state?.outcome ?? 'proposed',
    strategy: state?.strategy ?? null,
    branch: state?.fix_branch ?? (head ? branch : null),
    commit: head ?? null,
    rows_changed: state?.rows_changed ?? 0,
    quarantined: state?.fix_kinds?.['quarantined'] ?? 0,
    kinds: state?.fix_kinds ?? {},
    resolution: state?.resolution ?? null,
    evidence: state?.evidence ?? null,
    review_required: state?.review === 'required',
    reason: state?.reason ?? `branch ${branch} already exists`,
    memory: null,
    attempts: [],
    review: head && branch ? reviewCommand(session, branch) : null,
  };
}

/** The closed incidents of a check the report recalls, newest first. */
function previousIncidents(session: HealSession, check: string): RecalledIncident[] {
  return closedIncidentsOf(session.known, check)
    .slice(0, 5)
    .map((incident) => ({ incident: incident.id, outcome: incident.outcome, strategy: incident.strategy, fix_branch: incident.fix_branch, reason: incident.reason, first_seen: incident.first_seen }));
}

/** Try candidates in order; offer the first that keeps to the policy and passes the re-check. */
async function tryCandidates(
  session: HealSession,
  failure: Failure,
  start: IncidentStart,
  candidates: Array<Candidate & { remembered: boolean }>,
  memory: string | null,
): Promise<HealIncident> {
  const { repository, base } = session;
  const { id, branch } = start;
  const attempts: HealAttempt[] = [];
  // A table the policy does not open to the healer fails every strategy alike: say so once.
  const closed = policyViolations(base.config, [{ table: failure.table, rows: 1, columns: new Map(), removals: { count: 0 } }]);
  if (closed.length > 0) return failIncident(session, failure, start, closed.join('; '), attempts, memory);
  const tried = new Set<string>();
  for (const candidate of candidates) {
    const built = await candidate.build();
    if ('fail' in built) {
      attempts.push({ strategy: candidate.name, offered: false, reason: built.fail, remembered: candidate.remembered });
      continue;
    }
    // Two plans can come to the same edits (quarantine had nothing left to do): try them once.
    if (tried.has(built.strategy)) continue;
    tried.add(built.strategy);
    const violations = policyViolations(base.config, [built.extent], { rowCaps: !built.reviewRequired });
    if (violations.length > 0) {
      attempts.push({ strategy: built.strategy, offered: false, reason: `over the policy: ${violations.join('; ')}`, remembered: candidate.remembered });
      continue;
    }
    const counts = built.change ? built.change.counts : undefined;
    const quarantined = counts?.quarantined ?? 0;
    const rows = built.change ? rowsChanged(built.change) : built.extent.rows;
    const summary = fixSummary(failure, built, rows);
    const resolution = resolutionOf(built.kinds);
    const incident: Incident = {
      ...incidentBase(session, failure, start),
      fix_branch: branch,
      strategy: built.strategy,
      rows_changed: rows,
      outcome: 'proposed',
      reason: summary,
      fix_kinds: built.kinds,
      resolution,
      evidence: built.evidence,
      review: built.reviewRequired ? 'required' : null,
    };
    const proposal: FixProposal = { fix: built.fix, incident, carried: carriedIncidents(session, failure.check, id), message: commitMessage(session, failure, id, built, summary, memory) };
    const written = await writeProposalCommit(repository, base, proposal, session.people);
    let recheck: Recheck;
    try {
      recheck = (await recheckProposal(repository, written.commit, session.report, candidate.mustPass, session.options.now)).recheck;
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      recheck = { ok: false, fixed: [], broken: [], unfixed: [], worse: [], reason: `the checks cannot run on it: ${error.message}` };
    }
    if (!recheck.ok) {
      attempts.push({ strategy: built.strategy, offered: false, reason: `not offered: ${recheck.reason}`, remembered: candidate.remembered });
      continue;
    }
    attempts.push({ strategy: built.strategy, offered: true, reason: recheck.reason, remembered: candidate.remembered });
    if (!(await offerProposal(repository, branch, written.commit))) {
      // Another heal of the same revision offered it first: report that one.
      const fresh = await listIncidents(repository);
      return existingReport(session, failure, fresh.find((known) => known.id === id && known.fix_branch === branch), branch, await repository.branchHead(branch));
    }
    session.toLog.push(incident);
    return {
      incident: id,
      check: failure.check,
      table: failure.table,
      kind: failure.kind,
      severity: failure.severity,
      failing_rows: failure.failingRows,
      first_seen: incident.first_seen,
      seen: incident.seen,
      previous: previousIncidents(session, failure.check),
      status: 'proposed',
      outcome: 'proposed',
      strategy: built.strategy,
      branch,
      commit: written.commit,
      rows_changed: rows,
      quarantined,
      kinds: built.kinds,
      resolution,
      evidence: built.evidence,
      review_required: built.reviewRequired,
      reason: summary,
      memory,
      attempts,
      review: reviewCommand(session, branch),
    };
  }
  const reason = attempts.length > 0 ? attempts.map((attempt) => `${attempt.strategy}: ${attempt.reason}`).join('; ') : 'no strategy applies';
  return failIncident(session, failure, start, `no fix could be offered (${reason})`, attempts, memory);
}

function failIncident(session: HealSession, failure: Failure, start: IncidentStart, reason: string, attempts: HealAttempt[], memory: string | null): HealIncident {
  const incident: Incident = { ...incidentBase(session, failure, start), fix_branch: null, strategy: null, rows_changed: null, outcome: 'failed', reason };
  session.toLog.push(incident);
  return {
    incident: start.id,
    check: failure.check,
    table: failure.table,
    kind: failure.kind,
    severity: failure.severity,
    failing_rows: failure.failingRows,
    first_seen: incident.first_seen,
    seen: incident.seen,
    previous: previousIncidents(session, failure.check),
    status: 'failed',
    outcome: 'failed',
    strategy: null,
    branch: null,
    commit: null,
    rows_changed: 0,
    quarantined: 0,
    kinds: {},
    resolution: null,
    evidence: null,
    review_required: false,
    reason,
    memory,
    attempts,
    review: null,
  };
}

/**
 * The incident's fields before its fix: a new incident seen once at the healed
 * revision, or the open incident it continues (id, first_seen and created_at kept,
 * seen once more, its earlier fix remembered), later than that incident's last state.
 */
function incidentBase(session: HealSession, failure: Failure, start: IncidentStart): Omit<Incident, 'fix_branch' | 'strategy' | 'rows_changed' | 'outcome' | 'reason'> {
  const reopened = start.reopened;
  return {
    id: start.id,
    check: failure.check,
    table: failure.table,
    kind: failure.kind,
    severity: failure.severity,
    first_seen: reopened?.first_seen ?? session.base.commit,
    last_seen: session.base.commit,
    seen: reopened ? reopened.seen + 1 : 1,
    failing_count: failure.failingRows,
    sample: failure.sample.slice(0, INCIDENT_SAMPLE_SIZE),
    created_at: reopened?.created_at ?? session.now,
    updated_at: reopened ? laterTime(session.now, reopened.updated_at) : session.now,
    fix_kinds: null,
    resolution: null,
    evidence: null,
    review: null,
    accepted_by: null,
    earlier_fixes: reopened ? earlierFixesOf(reopened) : [],
  };
}

/** Earlier incidents of the same check whose decided state the failing revision does not hold yet: they travel with this fix. */
function carriedIncidents(session: HealSession, check: string, id: string): Incident[] {
  const onBase = new Map(session.onBase.map((incident) => [incident.id, incident]));
  return session.known
    .filter((incident) => incident.id !== id && incident.check.split(',').includes(check) && incident.outcome !== 'proposed')
    .filter((incident) => {
      const there = onBase.get(incident.id);
      return !there || there.outcome !== incident.outcome || there.updated_at !== incident.updated_at;
    })
    .map(({ source: _source, ...incident }) => incident);
}

/** One sentence on what a fix does: its kinds first (`restored 45 (from …), quarantined 5`), then the row counts. */
function fixSummary(failure: Failure, built: BuiltFix, rows: number): string {
  const kinds = fixKindsText(built.kinds as Record<string, number>, built.evidence);
  const resolution = resolutionOf(built.kinds as Record<string, number>);
  const review = built.reviewRequired ? '; marked for review: a person decides whether it lands' : '';
  if (!built.change) return `${built.strategy} (${resolution}): ${kinds || 'no value changes'}; ${failure.table}.${failure.check.split('.').slice(-2, -1)[0] ?? ''} gets its type back${review}`;
  const { updated, deleted, quarantined, inserted } = built.change.counts;
  const parts: string[] = [];
  if (updated) parts.push(`${updated} updated`);
  if (inserted) parts.push(`${inserted} inserted`);
  if (deleted) parts.push(`${deleted} deleted`);
  if (quarantined) parts.push(`${quarantined} moved to ${quarantineTableName(failure.table)}`);
  return `${built.strategy} (${resolution}): ${kinds}; ${rows} row${rows === 1 ? '' : 's'} of ${built.change.table} changed (${parts.join(', ')}) so that ${failure.check} passes${review}`;
}

function commitMessage(session: HealSession, failure: Failure, id: string, built: BuiltFix, summary: string, memory: string | null): string {
  const lines = [`heal: ${failure.check} by ${built.strategy}`, '', `Incident ${id} at ${session.base.commit.slice(0, 12)}: ${oneLine(failure.message)}.`, summary + '.'];
  if (memory) lines.push(`Memory: ${oneLine(memory)}.`);
  const change = built.change;
  if (change) {
    lines.push('', 'Edits:');
    for (const edit of change.edits.slice(0, 20)) lines.push(`- ${edit.op} ${JSON.stringify(edit.key)}: ${oneLine(edit.reason)}`);
    if (change.edits.length > 20) lines.push(`- … and ${change.edits.length - 20} more (see the diff)`);
  }
  if (built.listed && built.listed.length > 0) {
    lines.push('', 'Listed:');
    for (const line of built.listed.slice(0, 50)) lines.push(`- ${oneLine(line)}`);
    if (built.listed.length > 50) lines.push(`- … and ${built.listed.length - 50} more`);
  }
  lines.push('', `dgit-incident: ${id}`, `dgit-check: ${failure.check}`, `dgit-strategy: ${built.strategy}`, `dgit-fix: ${fixKindsText(built.kinds as Record<string, number>) || 'none'}`);
  lines.push(`dgit-resolution: ${resolutionOf(built.kinds as Record<string, number>)}`);
  if (built.evidence) lines.push(`dgit-evidence: ${built.evidence}`);
  if (built.reviewRequired) lines.push(`${REVIEW_TRAILER}: required`);
  return lines.join('\n') + '\n';
}

function reviewCommand(session: HealSession, branch: string): string {
  return `dgit diff ${session.label} ${branch}`;
}

/**
 * A built-in strategy's edits with each reason within a patch's limit: a reason
 * names the values it restores or replaces, and several long ones may pass it.
 * (An outside agent's patch is held to the limit and refused past it.)
 */
function withinReasonLimit<T extends { reason?: string }>(edits: readonly T[]): T[] {
  return edits.map((edit) => {
    const points = edit.reason === undefined ? [] : Array.from(edit.reason);
    return points.length <= MAX_REASON ? edit : { ...edit, reason: `${points.slice(0, MAX_REASON - 1).join('')}…` };
  });
}
