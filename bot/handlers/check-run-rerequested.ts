import type { EventHandler } from '../bot-module.js';
import { coordinates } from '../bot-services.js';
import { CheckRunEvent, PullRequestPayload } from '../events/payloads.js';
import { CHECK_RUN_NAME, parseCheckTargetId } from '../render/markers.js';
import { checkMergeGroup, checkPullRequest } from './checks.js';

/** `check_run.rerequested` ("Re-run" on GitHub): check again what the run checked, in a new run. */
export const onCheckRunRerequested: EventHandler = async (context, services) => {
  const event = CheckRunEvent.parse(context.payload);
  const run = event.check_run;
  if (run.name !== CHECK_RUN_NAME) return;
  const target = parseCheckTargetId(run.external_id) ?? (run.pull_requests[0] ? { kind: 'pull' as const, number: run.pull_requests[0].number } : undefined);
  if (!target) {
    context.log.warn({ checkRun: run.id }, 'a dgit/checks run without a target; not re-run');
    return;
  }
  let outcome;
  if (target.kind === 'merge-group') {
    outcome = await checkMergeGroup(context, services, event.repository, { headSha: run.head_sha, baseSha: target.baseSha }, { fresh: true });
  } else {
    // The pull request as it is now (a fork's, too: the run's own list names only same-repository ones).
    const { data } = await context.octokit.rest.pulls.get({ ...coordinates(event.repository), pull_number: target.number });
    const pull = PullRequestPayload.parse(data);
    if (pull.head.sha !== run.head_sha) {
      context.log.info({ pull: pull.number }, 'the re-run check is of an older head; checking the current one');
    }
    outcome = await checkPullRequest(context, services, event.repository, pull, { fresh: true });
  }
  context.log.info({ checkRun: run.id, outcome }, 'check run re-run');
};
