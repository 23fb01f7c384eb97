import type { CheckReport, CheckResult } from '../checks/check-result.js';
import type { Repository } from '../repository/repository.js';
import type { ObjectId } from '../store/object-store.js';
import type { CommitId } from '../store/revision.js';
import { verifyTables, type IntegrityProblem } from './table-integrity.js';

/** The check id of a table's integrity result. */
export function integrityCheckId(table: string): string {
  return `${table || 'tables'}.integrity`;
}

/**
 * The integrity of a revision's tables as check results (one failing result per
 * table with problems, severity error), so `dgit check`, the merge gate, the queue,
 * the Action and the bot show them as they show any check. A commit is verified
 * against its first parent and the working set against HEAD; `full` verifies everything.
 */
export async function integrityResults(repository: Repository, rev: string | undefined, options: { full?: boolean } = {}): Promise<CheckResult[]> {
  const revision = await repository.revision(rev);
  let parent: ObjectId | undefined;
  if (revision.kind === 'commit') {
    const first = (await repository.readCommit(revision.commit)).parents[0] as CommitId | undefined;
    // A parent the store lacks (a shallow clone) cannot vouch for anything: verify the whole revision.
    if (first && (await repository.store.has(first))) parent = (await repository.readCommit(first)).tree;
  } else {
    const working = await repository.workingSet(revision.branch);
    if (working.head) parent = working.headTree;
  }
  const problems = await verifyTables(repository.store, revision.tree, { parent, full: options.full });
  const byTable = new Map<string, IntegrityProblem[]>();
  for (const problem of problems) {
    const list = byTable.get(problem.table) ?? [];
    list.push(problem);
    byTable.set(problem.table, list);
  }
  return [...byTable].map(([table, list]) => ({
    check: integrityCheckId(table),
    table: table || 'tables',
    column: null,
    columns: [],
    kind: 'integrity',
    severity: 'error',
    passed: false,
    failing_rows: list.length,
    sample: list.slice(0, 10).map((p) => ({ key: { path: p.path }, value: p.problem })),
    message: `${list[0]!.path}: ${list[0]!.problem}${list.length > 1 ? ` (and ${list.length - 1} more problem${list.length > 2 ? 's' : ''})` : ''}; dgit did not write this (run \`dgit fsck --full\` for the whole repository)`,
    scope: options.full ? 'table' : 'changed-chunks',
    line: 0,
  }));
}

/** A check report with the integrity results first; it fails when any is there. */
export function withIntegrity(report: CheckReport, integrity: CheckResult[]): CheckReport {
  if (integrity.length === 0) return report;
  return { ...report, passed: false, results: [...integrity, ...report.results] };
}
