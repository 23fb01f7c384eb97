import { codeSpan, summaryText } from '../../formats/checks/index.js';
import { GITHUB_COMMENT_LIMIT } from '../../formats/diff/index.js';
import type { CheckOutcome } from '../review/data-review.js';
import { CHECK_RUN_NAME, DIFF_COMMENT_MARKER } from './markers.js';
import { withinLimit } from './plain-text.js';

/** A verdict line for the checks of a revision, without any user text. */
export function checksLine(checks: CheckOutcome, head: string): string {
  const at = codeSpan(head.slice(0, 12));
  if (checks.kind === 'invalid-config') return `❌ dgit.yml is invalid at ${at} (see the ${codeSpan(CHECK_RUN_NAME)} check run).`;
  const report = checks.report;
  if (!report.config) return `No dgit.yml at ${at}: no checks to run.`;
  return `${report.passed ? '✅' : '❌'} Checks at ${at}: ${summaryText(report.results)} (details in the ${codeSpan(CHECK_RUN_NAME)} check run).`;
}

/**
 * The body of the one data-diff comment of a pull request: the marker the bot
 * finds it by, the Markdown data diff (its renderer escapes every value and
 * name), and a line on the checks. Always within GitHub's 65,536 characters: the
 * diff gets what the rest leaves.
 */
export async function diffCommentBody(diffMarkdown: (budget: number) => Promise<string>, checks: CheckOutcome, head: string): Promise<string> {
  const header = `${DIFF_COMMENT_MARKER}\n`;
  const footer = `\n${checksLine(checks, head)}\n`;
  const diff = await diffMarkdown(GITHUB_COMMENT_LIMIT - header.length - footer.length);
  return withinLimit(header + diff + footer, GITHUB_COMMENT_LIMIT);
}
