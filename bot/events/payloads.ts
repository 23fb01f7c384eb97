import { z } from 'zod';
import { loadSyncApi } from '../../engine/index.js';

const { FixPatchSchema, MAX_PATCH_BYTES } = await loadSyncApi();

/**
 * The parts of GitHub's webhook payloads the bot reads, validated at the
 * boundary: a handler works on these types, never on the raw payload. Unknown
 * fields pass (GitHub adds fields freely); a missing or mistyped one the bot needs
 * is an error naming it.
 */

const sha = z.string().regex(/^[0-9a-f]{40}$/, 'a 40-hex commit id');

export const RepositoryPayload = z.object({
  id: z.number().int().positive(),
  name: z.string().min(1),
  full_name: z.string().min(1),
  owner: z.object({ login: z.string().min(1) }),
  default_branch: z.string().min(1),
  clone_url: z.string().regex(/^https?:\/\//, 'an HTTP(S) URL'),
});
export type RepositoryPayload = z.infer<typeof RepositoryPayload>;

const user = z.object({ login: z.string(), type: z.string().optional() });

export const PushEvent = z.object({
  ref: z.string(),
  before: sha,
  after: sha,
  deleted: z.boolean().optional(),
  repository: RepositoryPayload,
});
export type PushEvent = z.infer<typeof PushEvent>;

const branchEnd = z.object({
  ref: z.string().min(1),
  sha,
  /** null when the fork was deleted. */
  repo: z.object({ id: z.number().int().positive(), full_name: z.string(), clone_url: z.string() }).nullable(),
});

export const PullRequestPayload = z.object({
  number: z.number().int().positive(),
  state: z.string(),
  head: branchEnd,
  base: branchEnd,
});
export type PullRequestPayload = z.infer<typeof PullRequestPayload>;

/** A pull request as `pulls.get` and the `pull_request` events give it, with what the merge queue reads. */
export const PullRequestDetails = PullRequestPayload.extend({
  merged_at: z.string().nullable().optional(),
  labels: z.array(z.object({ name: z.string() })).default([]),
});
export type PullRequestDetails = z.infer<typeof PullRequestDetails>;

/** `pull_request.labeled` / `unlabeled`: who put or took which label. */
export const PullRequestLabelEvent = z.object({
  action: z.enum(['labeled', 'unlabeled']),
  pull_request: PullRequestDetails,
  label: z.object({ name: z.string() }).optional(),
  sender: user,
  repository: RepositoryPayload,
});
export type PullRequestLabelEvent = z.infer<typeof PullRequestLabelEvent>;

export const PullRequestEvent = z.object({
  action: z.string(),
  pull_request: PullRequestPayload,
  repository: RepositoryPayload,
  changes: z.object({ base: z.unknown().optional() }).passthrough().optional(),
});
export type PullRequestEvent = z.infer<typeof PullRequestEvent>;

export const CheckRunEvent = z.object({
  action: z.string(),
  check_run: z.object({
    id: z.number().int(),
    name: z.string(),
    head_sha: sha,
    external_id: z.string().nullable().optional(),
    pull_requests: z.array(z.object({ number: z.number().int().positive() })).default([]),
  }),
  repository: RepositoryPayload,
});
export type CheckRunEvent = z.infer<typeof CheckRunEvent>;

export const MergeGroupEvent = z.object({
  action: z.string(),
  merge_group: z.object({ head_sha: sha, head_ref: z.string(), base_sha: sha, base_ref: z.string() }),
  repository: RepositoryPayload,
});
export type MergeGroupEvent = z.infer<typeof MergeGroupEvent>;

export const IssueCommentEvent = z.object({
  action: z.string(),
  issue: z.object({ number: z.number().int().positive(), pull_request: z.object({}).passthrough().optional() }),
  comment: z.object({ id: z.number().int(), body: z.string().nullable().optional(), user }),
  repository: RepositoryPayload,
});
export type IssueCommentEvent = z.infer<typeof IssueCommentEvent>;

/**
 * `repository_dispatch` with action `dgit-propose`: an outside agent's fix patch
 * (engine/heal's format, as JSON or as its JSON/NDJSON text) for the default
 * branch, and optionally the `heal/` branch to put it on.
 */
export const ProposalDispatchEvent = z.object({
  action: z.literal('dgit-propose'),
  client_payload: z.strictObject({
    patch: z.union([FixPatchSchema, z.string().min(1).max(MAX_PATCH_BYTES)]),
    branch: z.string().startsWith('heal/').max(200).optional(),
  }),
  repository: RepositoryPayload,
});
export type ProposalDispatchEvent = z.infer<typeof ProposalDispatchEvent>;
