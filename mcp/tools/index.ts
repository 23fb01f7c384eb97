import { describeTableTool } from './describe-table.js';
import { diffTool } from './diff.js';
import { failingRowsTool } from './failing-rows.js';
import { getIncidentTool, listIncidentsTool } from './incidents.js';
import { listTablesTool } from './list-tables.js';
import { proposeFixTool } from './propose-fix.js';
import { queryTool } from './query.js';
import { requestReviewTool } from './request-review.js';
import { runChecksTool } from './run-checks.js';
import type { OfferedTool } from './tool.js';

/** Every tool of the agent interface, readers first. */
export const AGENT_TOOLS: readonly OfferedTool[] = [
  listTablesTool,
  describeTableTool,
  queryTool,
  diffTool,
  runChecksTool,
  failingRowsTool,
  listIncidentsTool,
  getIncidentTool,
  proposeFixTool,
  requestReviewTool,
];

/** The tools a server offers: the writing ones only with --allow-propose (otherwise they are not listed at all). */
export function offeredTools(allowPropose: boolean): OfferedTool[] {
  return AGENT_TOOLS.filter((tool) => allowPropose || !tool.writes);
}

export type { OfferedTool, ToolContext } from './tool.js';
