import type { CheckRunAnnotation, CheckRunOutput } from '../render/check-run-output.js';
import { CHECK_RUN_NAME, checkTargetId, type CheckTarget } from '../render/markers.js';
import type { GitHubClient, RepositoryCoordinates } from '../github/github-client.js';

/** GitHub takes at most 50 annotations per create or update request. */
export const ANNOTATIONS_PER_REQUEST = 50;

/** A check run the bot is filling in. */
export interface StartedCheckRun {
  id: number;
  /** It was already completed for this commit and target (a repeated event): nothing to report again. */
  completed: boolean;
}

/**
 * The `dgit/checks` check run of one commit. `start` reuses the run already made
 * for the same commit and target (a repeated event), unless a fresh one is asked
 * for (a re-run); `finish` sends the annotations 50 per request, the conclusion
 * with the last batch, so a run never shows a conclusion before its annotations.
 */
export class CheckRunPublisher {
  constructor(
    private readonly client: GitHubClient,
    private readonly where: RepositoryCoordinates,
  ) {}

  async start(headSha: string, target: CheckTarget, options: { fresh: boolean }): Promise<StartedCheckRun> {
    const externalId = checkTargetId(target);
    if (!options.fresh) {
      const { data } = await this.client.rest.checks.listForRef({ ...this.where, ref: headSha, check_name: CHECK_RUN_NAME, filter: 'all', per_page: 100 });
      const existing = data.check_runs.find((run) => run.head_sha === headSha && run.external_id === externalId);
      if (existing) return { id: existing.id, completed: existing.status === 'completed' };
    }
    const { data } = await this.client.rest.checks.create({
      ...this.where,
      name: CHECK_RUN_NAME,
      head_sha: headSha,
      external_id: externalId,
      status: 'in_progress',
      started_at: new Date().toISOString(),
    });
    return { id: data.id, completed: false };
  }

  async finish(id: number, output: CheckRunOutput): Promise<void> {
    const batches: CheckRunAnnotation[][] = [];
    for (let at = 0; at < output.annotations.length; at += ANNOTATIONS_PER_REQUEST) batches.push(output.annotations.slice(at, at + ANNOTATIONS_PER_REQUEST));
    if (batches.length === 0) batches.push([]);
    for (const [index, annotations] of batches.entries()) {
      const last = index === batches.length - 1;
      await this.client.rest.checks.update({
        ...this.where,
        check_run_id: id,
        ...(last ? { status: 'completed' as const, conclusion: output.conclusion, completed_at: new Date().toISOString() } : {}),
        output: { title: output.title, summary: output.summary, ...(annotations.length > 0 ? { annotations } : {}) },
      });
    }
  }
}
