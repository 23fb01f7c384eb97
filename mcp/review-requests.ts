import path from 'node:path';
import { z } from 'zod';
import type { Sandbox } from './sandbox.js';
import { escapeHidden } from './untrusted-data.js';
import { filesUnder, InvalidInputError, NotFoundError, readFileIfExists, writeFileAtomic, type CommitId, type Repository } from '../engine/index.js';

/**
 * A review request: an agent saying its proposal on a sandbox branch is ready for
 * a person (or the bot) to look at. It queues nothing and merges nothing; it is a
 * note, kept as one JSON file per branch under `.git/dgit/reviews/`, e.g.
 * `.git/dgit/reviews/heal/agent-3f9a1c2e/1.json`. It names the exact commit the
 * agent asked about, so a branch moved afterwards is seen as such.
 */
export const ReviewRequestSchema = z.object({
  version: z.literal(1),
  branch: z.string(),
  /** The commit the agent asked to have reviewed (the branch head then). */
  commit: z.string(),
  /** The commit the proposal was made on (its first parent). */
  base: z.string().nullable(),
  /** The agent's session (its sandbox is heal/agent-<session>/). */
  session: z.string(),
  incident: z.string().nullable(),
  /** What the agent says about its proposal: untrusted text, hidden characters escaped. */
  summary: z.string().nullable(),
  requested_at: z.string(),
});
export type ReviewRequest = z.infer<typeof ReviewRequestSchema>;

/** The folder of review requests in a repository. */
export function reviewsDir(repository: Repository): string {
  return path.join(repository.gitdir, 'dgit', 'reviews');
}

function requestFile(repository: Repository, branch: string): string {
  // Sandbox branch names are plain path components (checked by Sandbox.own), so this stays inside the folder.
  return path.join(reviewsDir(repository), ...branch.split('/')) + '.json';
}

/**
 * Mark the proposal on one of the sandbox's branches as ready for review. The
 * branch must be the agent's own and hold a proposal commit (made by propose).
 * Asking again about the same commit changes nothing.
 */
export async function requestReview(
  repository: Repository,
  sandbox: Sandbox,
  branch: string,
  summary: string | undefined,
): Promise<{ status: 'requested' | 'existing'; request: ReviewRequest; file: string }> {
  const name = sandbox.own(branch);
  const head = await repository.branchHead(name);
  if (!head) throw new NotFoundError(`branch ${name} (propose_fix creates it)`, 'branch');
  const commit = await repository.readCommit(head as CommitId);
  const incident = /^dgit-incident: (\S+)$/m.exec(commit.message)?.[1] ?? null;
  if (!incident) throw new InvalidInputError(`${name} does not hold a proposal made by propose_fix (its head has no dgit-incident trailer)`, 'branch');
  const file = requestFile(repository, name);
  const existing = parseRequest(readFileIfExists(file));
  if (existing && existing.commit === head) return { status: 'existing', request: existing, file };
  const request: ReviewRequest = {
    version: 1,
    branch: name,
    commit: head,
    base: commit.parents[0] ?? null,
    session: sandbox.session,
    incident,
    summary: summary === undefined || summary.trim() === '' ? null : escapeHidden(summary.trim()),
    requested_at: new Date().toISOString(),
  };
  writeFileAtomic(file, JSON.stringify(request, null, 2) + '\n');
  return { status: 'requested', request, file };
}

/** Every review request of the repository, oldest first (for the bot, a CLI command or a person). */
export function listReviewRequests(repository: Repository): ReviewRequest[] {
  const out: ReviewRequest[] = [];
  const dir = reviewsDir(repository);
  for (const file of filesUnder(dir)) {
    if (!file.endsWith('.json') || path.basename(file).startsWith('.')) continue;
    const request = parseRequest(readFileIfExists(path.join(dir, file)));
    if (request) out.push(request);
  }
  return out.sort((a, b) => a.requested_at.localeCompare(b.requested_at) || a.branch.localeCompare(b.branch));
}

function parseRequest(text: string | undefined): ReviewRequest | undefined {
  if (text === undefined) return undefined;
  try {
    const parsed = ReviewRequestSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
