import { runChecks } from '../checks/index.js';
import { judgeReports, type CandidateVerdict } from './queue-machine.js';
import { ConfigError } from '../config/config-error.js';
import { readConfigText } from '../config/repository-config.js';
import { AmbiguousMergeError, mergeBase, mergeBases, mergeCommits } from '../commands/merge.js';
import { z } from 'zod';
import type { Repository } from '../repository/repository.js';
import type { TableConflicts } from '../workingset/merge-state.js';
import type { CommitId } from '../store/revision.js';

/** A queued branch as a candidate is built from it: its entry id, name and the commit merged. */
export interface CandidatePart {
  id: number;
  branch: string;
  head: CommitId;
}

/** A candidate built, or the part whose merge conflicted (with every part before it merged cleanly). */
export type BuiltCandidate =
  | { kind: 'candidate'; commit: CommitId }
  | { kind: 'conflict'; index: number; reason: string };

/** How the queue's merge commits are written: their message and, unless the repository's identity, their author. */
export interface CandidateCommitStyle {
  message?: (part: CandidatePart, into: string) => string;
  author?: { name: string; email: string };
}

/**
 * Merge the parts one after another onto `onto`, as the default branch would
 * receive them: a part `onto` (or the parts before it) already holds adds
 * nothing (the candidate is then `onto` itself), one that holds the tip is a
 * fast-forward, anything else the data three-way merge (`mergeCommits`): a merge
 * commit whose first parent is the tip and second the part's head, so the default
 * branch then contains the head. Touches no branch and no working set. Used by
 * both backends of the queue: the local one (batches) and the GitHub App's.
 */
export async function buildCandidate(repository: Repository, onto: CommitId | undefined, parts: CandidatePart[], into: string, style: CandidateCommitStyle = {}): Promise<BuiltCandidate> {
  let tip = onto;
  for (const [index, part] of parts.entries()) {
    if (tip === undefined || tip === part.head) {
      tip = part.head;
      continue;
    }
    const bases = await mergeBases(repository, tip, part.head);
    const base = bases[0];
    if (base === part.head) continue;
    if (base === tip) {
      tip = part.head;
      continue;
    }
    const tx = repository.store.transaction();
    try {
      let merged;
      try {
        merged = await mergeCommits(repository, tip, part.head, { tx, base: { commit: base, others: bases.slice(1) } });
      } catch (error) {
        // A criss-cross history whose merge bases give different results: as a conflict, it waits for a person.
        if (!(error instanceof AmbiguousMergeError)) throw error;
        tx.discard();
        return { kind: 'conflict', index, reason: error.message };
      }
      if (merged.conflicts.length > 0) {
        tx.discard();
        const withWhat = `${into}${index > 0 ? ' and the branches batched before it' : ''}`;
        return { kind: 'conflict', index, reason: `the data merge with ${withWhat} conflicts in ${merged.conflicts.map(describeConflicts).join('; ')}` };
      }
      const author = await repository.signature(style.author, 'AUTHOR');
      const committer = await repository.signature(style.author, 'COMMITTER');
      const message = style.message?.(part, into) ?? `Merge branch '${part.branch}' into ${into} (queue #${part.id})\n`;
      tip = repository.writeCommit(tx, { tree: merged.tree, parents: [tip, part.head], author, committer, message });
      tx.commit();
    } catch (error) {
      tx.discard();
      throw error;
    }
  }
  if (tip === undefined) throw new Error('a candidate needs at least one part');
  return { kind: 'candidate', commit: tip };
}

/** `flights: 2 conflicts, at id=8 (origin), id=9 (delay)`: the first few rows in conflict, by key. */
function describeConflicts(table: TableConflicts): string {
  const count = table.conflicts.length + table.schemaConflicts.length;
  const rows = table.conflicts.slice(0, 3).map((conflict) => {
    const parsed = ConflictShape.safeParse(conflict);
    if (!parsed.success) return 'a row';
    const key = Object.entries(parsed.data.key ?? {}).map(([column, value]) => `${column}=${JSON.stringify(value)}`).join(', ');
    const columns = parsed.data.columns ?? [];
    return `${key || 'a row'}${columns.length > 0 ? ` (${columns.join(', ')})` : ''}`;
  });
  const schema = table.schemaConflicts.slice(0, 2).map((conflict) => String(conflict['message'] ?? 'the schema'));
  const more = count > rows.length + schema.length ? ', …' : '';
  return `${table.table}: ${count} conflict${count === 1 ? '' : 's'}, at ${[...rows, ...schema].join(', ')}${more}`;
}

/** The fields of a row conflict (`dgit conflicts --json`) a reason names. */
const ConflictShape = z.object({ key: z.record(z.string(), z.unknown()).nullable().optional(), columns: z.array(z.string()).optional() });

export type { CandidateVerdict } from './queue-machine.js';

/** How the queue judges a candidate commit merged onto `onto` (the default runs every check of its dgit.yml). */
export type CandidateCheck = (repository: Repository, commit: CommitId, onto: CommitId | undefined) => Promise<CandidateVerdict>;

/**
 * Run every check of the candidate's own dgit.yml on it and judge it with the
 * queue core's rule (`judgeReports`: all pass on a green default branch, nothing
 * gets worse on a red one); the default branch's checks run only when the
 * candidate fails some. A check that could not run rejects the candidate; an
 * invalid dgit.yml on the merged result fails it, since then nothing can vouch
 * for the data.
 *
 * A candidate that changes dgit.yml is judged by the default branch's dgit.yml
 * as well: a change that removes a check, or lowers it to a warning, cannot land
 * data that check would stop in the same change (GitHub takes required checks
 * from the base branch's protection, not from the pull request, for the same
 * reason). When the default branch's checks cannot run on the merged result (the
 * change drops a table or column they read), it is rejected with that reason and
 * lands only by hand (`dgit merge`, which runs the result's checks).
 */
export const checkCandidate: CandidateCheck = async (repository, commit, onto) => {
  let own: CandidateVerdict;
  try {
    const report = await runChecks(repository, commit);
    own = report.passed ? { passed: true } : judgeReports(report, onto ? await baseReport(repository, onto) : undefined);
  } catch (error) {
    if (error instanceof ConfigError) return { passed: false, departure: 'invalid-config', reason: `dgit.yml is invalid on the merged result: ${firstLines(error)}` };
    throw error;
  }
  if (!own.passed || onto === undefined) return own;
  const ontoConfig = await readConfigText(repository, (await repository.readCommit(onto)).tree);
  if (ontoConfig === undefined || ontoConfig === (await readConfigText(repository, (await repository.readCommit(commit)).tree))) return own;
  const base = await baseReport(repository, onto);
  // The default branch's own dgit.yml is invalid there: it vouches for nothing, and the candidate may be what mends it.
  if (base === undefined) return own;
  let report;
  try {
    report = await runChecks(repository, commit, { config: ontoConfig });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return {
      passed: false,
      departure: 'checks-failed',
      reason: `the default branch's dgit.yml cannot check the merged result (${firstLines(error)}); a change that removes what its checks read is merged by hand`,
    };
  }
  if (report.passed) return own;
  const verdict = judgeReports(report, base);
  if (verdict.passed) return own;
  return { ...verdict, reason: `${verdict.reason} (a check of the default branch's dgit.yml, which this change alters)` };
};

/** The first lines of a config error, for a one-line reason. */
function firstLines(error: ConfigError): string {
  return error.message.split('\n').slice(0, 3).join('; ');
}

/** The checks of the default branch's commit, or undefined when they cannot run there. */
async function baseReport(repository: Repository, onto: CommitId): Promise<Awaited<ReturnType<typeof runChecks>> | undefined> {
  try {
    return await runChecks(repository, onto);
  } catch (error) {
    if (error instanceof ConfigError) return undefined;
    throw error;
  }
}

/** Whether `descendant` is `ancestor` or has it in its history. */
export async function contains(repository: Repository, descendant: CommitId, ancestor: CommitId): Promise<boolean> {
  return descendant === ancestor || (await mergeBase(repository, descendant, ancestor)) === ancestor;
}
