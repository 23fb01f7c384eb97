import type { EventHandler } from '../bot-module.js';
import { MergeGroupEvent } from '../events/payloads.js';
import { checkMergeGroup } from './checks.js';

/** `merge_group.checks_requested` (GitHub's merge queue): run the checks on the group's head and report them. */
export const onMergeGroup: EventHandler = async (context, services) => {
  const event = MergeGroupEvent.parse(context.payload);
  if (event.action !== 'checks_requested') return;
  const group = event.merge_group;
  const outcome = await checkMergeGroup(context, services, event.repository, { headSha: group.head_sha, baseSha: group.base_sha }, { fresh: false });
  context.log.info({ head: group.head_sha, outcome }, 'merge group checked');
};
