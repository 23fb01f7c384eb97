import crypto from 'node:crypto';
import { z } from 'zod';
import { DEFAULT_LIMITS } from '../limits.js';
import { AgentRefusal } from '../refusal.js';
import { defineTool } from './tool.js';
import { RevisionArgument } from './revision.js';
import { loadSyncApi, DgitError, propose, readConfig, resolvePatch, type Repository } from '../../engine/index.js';

const { canonicalPatchText, checkPatch, FixPatchSchema, PatchEditSchema, changeExtent, policyViolations, PolicyViolationError } = await loadSyncApi();

const proposeFixOutput = z.object({
  status: z.enum(['proposed', 'existing']).describe('existing: this session proposed the same patch on the same commit before'),
  branch: z.string(),
  commit: z.string(),
  base: z.string().describe('the commit the fix applies to'),
  incident: z.string(),
  table: z.string(),
  rows_changed: z.number().int(),
  counts: z.object({ inserted: z.number().int(), updated: z.number().int(), deleted: z.number().int(), quarantined: z.number().int(), unchanged: z.number().int() }),
  fixed: z.array(z.string()).describe('checks that failed at the revision and pass with the fix'),
  reason: z.string(),
  review: z.string().describe('the command a person runs to see the change'),
  sandbox: z.string().describe('your sandbox: the only branches you can write'),
});

type ProposeFixOutput = z.input<typeof proposeFixOutput>;

/** Tables whose names start with this are dgit's own (the incident memory): no agent writes them. */
export const RESERVED_TABLE_PREFIX = '_dgit';

/** `propose_fix`: an agent's patch of row edits, checked and committed on a new branch of its sandbox. */
export const proposeFixTool = defineTool({
  name: 'propose_fix',
  title: 'Propose a fix',
  description:
    'Propose a fix: a patch of row edits to one table, each with its reason. Call failing_rows first: a failing row with a last good version is restored from it ' +
    '(an update setting the checked columns to last_good, the reason citing last_passing); only rows without one need another fix. It goes the way of `dgit propose`: values checked against the table, ' +
    'the dgit.yml policy (tables, columns and row counts a fix may change; the default branch\'s policy always applies), the edits applied on top of the revision, ' +
    'every check re-run (the patch\'s checks must pass and no passing check may fail), and the result committed on a NEW branch of your sandbox ' +
    'heal/agent-<session>/<n>. Nothing else is written: no existing branch moves, nothing is merged, dgit.yml cannot change. ' +
    'Edits: {"op":"update","key":{...},"set":{...},"reason":"..."}, {"op":"upsert","row":{...},"reason":"..."}, {"op":"delete","key":{...},"reason":"..."}, {"op":"quarantine","key":{...},"reason":"..."}. ' +
    'Then call request_review with the branch.',
  writes: true,
  input: z.strictObject({
    patch: FixPatchSchema.extend({
      edits: z.array(PatchEditSchema).min(1).max(DEFAULT_LIMITS.patchEdits).describe('the row edits, each with a reason'),
    }).describe('the fix patch: {"table", "checks"?: [check ids it makes pass], "incident"?: id, "edits": [...]}'),
    rev: RevisionArgument.optional().describe('the commit the fix applies to (default: the head of the default branch)'),
    branch: z.string().min(1).max(200).optional().describe('a branch of your sandbox, heal/agent-<session>/<name>; default: the next number'),
  }),
  output: proposeFixOutput,
  async run(args, { repository, sandbox, limits, serialize, proposals }) {
    const patch = args.patch;
    if (patch.edits.length > limits.patchEdits) throw new AgentRefusal('too-large', `the patch has ${patch.edits.length} edits; the limit is ${limits.patchEdits}`, 'patch.edits');
    if (patch.table.startsWith(RESERVED_TABLE_PREFIX))
      throw new AgentRefusal('sandbox', `table ${patch.table} is dgit's own memory; agents cannot change it (dgit records the proposal there itself)`, 'patch.table');
    const requested = args.branch === undefined ? undefined : sandbox.own(args.branch, 'branch');
    return serialize(async () => {
      const label = args.rev ?? (await repository.defaultBranch());
      const base = await repository.resolve(label);
      const fingerprint = crypto.createHash('sha1').update(`${base}\u0000${canonicalPatchText(patch)}`).digest('hex');
      const earlier = proposals.get(fingerprint);
      if (earlier && requested === undefined) {
        const head = await repository.branchHead(earlier.branch);
        if (head) return { ...(earlier.result as ProposeFixOutput), status: 'existing' as const, commit: head };
      }
      await checkDefaultBranchPolicy(repository, patch, base);
      const options = { rev: args.rev, source: 'propose_fix', author: { name: `agent ${sandbox.session} (dgit mcp)`, email: `agent-${sandbox.session}@mcp.dgit.invalid` } };
      let result: Awaited<ReturnType<typeof propose>>;
      for (let attempt = 1; ; attempt++) {
        const branch = requested ?? (await sandbox.nextBranch(repository));
        try {
          result = await propose(repository, patch, { ...options, branch });
          break;
        } catch (error) {
          // Another server with the same --session took the number first: take the next one.
          if (requested !== undefined || attempt >= 3 || !(error instanceof DgitError && error.code === 'ALREADY_EXISTS')) throw error;
        }
      }
      const output = {
        status: 'proposed' as const,
        branch: result.branch,
        commit: result.commit,
        base,
        incident: result.incident,
        table: result.table,
        rows_changed: result.rows_changed,
        counts: result.counts,
        fixed: result.fixed,
        reason: result.reason,
        review: result.review,
        sandbox: sandbox.prefix,
      };
      proposals.set(fingerprint, { branch: result.branch, result: output });
      return output;
    });
  },
  audit: (result) => ({ status: result.status, branch: result.branch, commit: result.commit, rows_changed: result.rows_changed, fixed: result.fixed }),
});

/**
 * The policy of dgit.yml on the default branch bounds every proposal, whatever
 * revision it applies to: an older commit or another branch with a looser policy
 * must not widen what an agent may change. (`propose` checks the revision's own
 * policy too.)
 */
async function checkDefaultBranchPolicy(repository: Repository, patch: z.output<typeof FixPatchSchema>, base: string): Promise<void> {
  const defaultBranch = await repository.defaultBranch();
  const head = await repository.branchHead(defaultBranch);
  const config = head ? await readConfig(repository, (await repository.readCommit(head)).tree) : undefined;
  const baseTree = (await repository.readCommit(base as Parameters<Repository['readCommit']>[0])).tree;
  const version = await repository.readTable(baseTree, patch.table);
  if (!version) return; // propose names the missing table
  const change = await resolvePatch(checkPatch(patch, 'propose_fix'), version, repository.chunks(), 'propose_fix');
  const violations = policyViolations(config, [changeExtent(change)]);
  if (violations.length > 0) throw new PolicyViolationError(violations, `dgit.yml on ${defaultBranch}`);
}
