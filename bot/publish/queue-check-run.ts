import type { GitHubClient, RepositoryCoordinates } from '../github/github-client.js';
import { QUEUE_CHECK_RUN_NAME, queueCheckRunId } from '../render/markers.js';
import type { QueueRunConclusion, QueueRunOutput } from '../render/queue-messages.js';

/**
 * The `dgit/queue` check run of one queue entry, on the head it queued: in progress
 * while it waits, completed with how it left the queue. Found by its `external_id`
 * (`queue/<entry>`), so repeating either step changes nothing, and a completed run
 * is never reopened.
 */
export class QueueCheckRun {
  constructor(
    private readonly client: GitHubClient,
    private readonly where: RepositoryCoordinates,
  ) {}

  /** Start the entry's run, unless it exists already. */
  async start(head: string, entryId: number, output: QueueRunOutput): Promise<void> {
    if (await this.find(head, entryId)) return;
    await this.client.rest.checks.create({
      ...this.where,
      name: QUEUE_CHECK_RUN_NAME,
      head_sha: head,
      external_id: queueCheckRunId(entryId),
      status: 'in_progress',
      started_at: new Date().toISOString(),
      output: { title: output.title, summary: output.summary },
    });
  }

  /** Complete the entry's run (made now if it never started), unless it is complete already. */
  async finish(head: string, entryId: number, output: QueueRunOutput & { conclusion: QueueRunConclusion }): Promise<void> {
    const existing = await this.find(head, entryId);
    if (existing?.completed) return;
    const completion = { status: 'completed' as const, conclusion: output.conclusion, completed_at: new Date().toISOString(), output: { title: output.title, summary: output.summary } };
    if (existing) {
      await this.client.rest.checks.update({ ...this.where, check_run_id: existing.id, ...completion });
      return;
    }
    await this.client.rest.checks.create({ ...this.where, name: QUEUE_CHECK_RUN_NAME, head_sha: head, external_id: queueCheckRunId(entryId), ...completion });
  }

  private async find(head: string, entryId: number): Promise<{ id: number; completed: boolean } | undefined> {
    const { data } = await this.client.rest.checks.listForRef({ ...this.where, ref: head, check_name: QUEUE_CHECK_RUN_NAME, filter: 'all', per_page: 100 });
    const run = data.check_runs.find((r) => r.external_id === queueCheckRunId(entryId));
    return run ? { id: run.id, completed: run.status === 'completed' } : undefined;
  }
}
