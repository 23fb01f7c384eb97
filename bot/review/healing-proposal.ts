import { diffRevisions, fixProfile, INCIDENTS_TABLE, readFixTrailers, type CommitId, type DiffReport, type NamedTableDiff, type Repository } from '../../engine/index.js';
import { renderDiffMarkdown } from '../../formats/diff/index.js';
import { HEAL_BRANCH_PREFIX } from '../render/markers.js';
import { compareChecks, proposalBody, proposalTitle, type HealingProposal } from '../render/proposal.js';
import type { ProposalRequest } from '../publish/proposal-pull-request.js';
import { checkRevision, diffBase, type CheckOutcome } from './data-review.js';

export interface ProposalInput {
  /** The proposal's branch, e.g. `heal/incident-42`. */
  branch: string;
  /** The branch it goes to, and where that branch is now. */
  baseBranch: string;
  baseTip: CommitId;
  head: CommitId;
}

/** A proposal ready to publish: the pull request, and what the diff comment needs. */
export interface BuiltProposal {
  request: ProposalRequest;
  proposal: HealingProposal;
  /** The merge base the diff starts from. */
  base: CommitId;
  headChecks: CheckOutcome;
  diffMarkdown: (budget: number) => Promise<string>;
}

/**
 * What a proposal branch fixes: the checks of dgit.yml run on the base branch and
 * on the proposal, compared; the pull request's title and body; the data diff
 * from the merge base.
 */
export async function buildProposal(repository: Repository, input: ProposalInput): Promise<BuiltProposal> {
  const base = await diffBase(repository, input.baseTip, input.head);
  const [baseChecks, headChecks] = [await checkRevision(repository, input.baseTip), await checkRevision(repository, input.head)];
  const proposal: HealingProposal = {
    branch: input.branch,
    incident: input.branch.startsWith(HEAL_BRANCH_PREFIX) ? input.branch.slice(HEAL_BRANCH_PREFIX.length) : undefined,
    baseBranch: input.baseBranch,
    head: input.head,
    message: (await repository.readCommit(input.head)).message,
    ...compareChecks(baseChecks, headChecks),
    headChecks,
  };
  // A heal proposal leads with what its fix did to the rows it changes (from the merge base, as the diff).
  if (proposal.incident !== undefined || readFixTrailers(proposal.message)) proposal.profile = await fixProfile(repository, input.head, { from: base });
  // The incident memory is bookkeeping: folded out of the diff a reviewer reads (the body says it is updated).
  const diffMarkdown = async (budget: number) => renderDiffMarkdown(withoutIncidentTable(await diffRevisions(repository, base, input.head)), { budget });
  return {
    request: { branch: input.branch, baseBranch: input.baseBranch, head: input.head, title: proposalTitle(proposal), body: await proposalBody(proposal, diffMarkdown) },
    proposal,
    base,
    headChecks,
    diffMarkdown,
  };
}

/** A diff without the `_dgit_incidents` table. */
function withoutIncidentTable(report: DiffReport): DiffReport {
  const tables = report.tables;
  async function* shown(): AsyncGenerator<NamedTableDiff> {
    for await (const table of tables) if (table.table !== INCIDENTS_TABLE) yield table;
  }
  return { ...report, tables: shown() };
}
