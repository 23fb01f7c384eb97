import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_LIMITS } from '../limits.js';
import { requestReview } from '../review-requests.js';
import { defineTool } from './tool.js';

/** `request_review`: mark a proposal of the agent's sandbox as ready for a person or the bot. */
export const requestReviewTool = defineTool({
  name: 'request_review',
  title: 'Request review of a proposal',
  description:
    'Mark the proposal on one of your sandbox branches (heal/agent-<session>/<n>, from propose_fix) as ready for review, with a short summary. ' +
    'It queues and merges nothing: it leaves a note (in .git/dgit/reviews/) that a person or the bot lists and decides on.',
  writes: true,
  input: z.strictObject({
    branch: z.string().min(1).max(200).describe('the branch propose_fix returned'),
    summary: z.string().max(DEFAULT_LIMITS.summaryChars).optional().describe('what the fix does and why, for the reviewer'),
  }),
  output: z.object({
    status: z.enum(['requested', 'existing']).describe('existing: this commit was already marked for review'),
    branch: z.string(),
    commit: z.string(),
    base: z.string().nullable(),
    incident: z.string().nullable(),
    requested_at: z.string(),
    file: z.string().describe('the request, relative to the git directory'),
    review: z.string().describe('the command a person runs to see the change'),
  }),
  async run(args, { repository, sandbox }) {
    const { status, request, file } = await requestReview(repository, sandbox, args.branch, args.summary);
    return {
      status,
      branch: request.branch,
      commit: request.commit,
      base: request.base,
      incident: request.incident,
      requested_at: request.requested_at,
      file: path.relative(repository.gitdir, file).split(path.sep).join('/'),
      review: `dgit diff ${request.base ?? ''} ${request.branch}`.replace('  ', ' '),
    };
  },
  audit: (result) => ({ status: result.status, branch: result.branch, commit: result.commit }),
});
