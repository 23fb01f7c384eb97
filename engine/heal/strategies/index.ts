import type { ConfiguredCheck } from '../../config/configured-check.js';
import type { PatchEdit } from '../patch.js';
import { dropDuplicates, keepLatestLoad, keepOne } from './duplicates.js';
import { restore } from './restore.js';
import { fillDefault } from './fill-default.js';
import { normalizeText } from './normalize-text.js';
import { quarantine } from './quarantine.js';
import { fixKindOf, type DuplicateRule, type FailingRow, type FixKind, type StepOutcome, type StrategyContext, type StrategyName } from './strategy-context.js';

export { StrategyContext, SessionPool, STRATEGY_NAMES, FIX_KINDS, fixKindOf, type StrategyName, type DuplicateRule, type FailingRow, type FixKind } from './strategy-context.js';
export { typeDriftOf, planCoercion, coerceTypeBuilder, type TypeDrift, type CoercePlan } from './coerce-type.js';

/** A plan: strategies applied in turn, each to the rows the previous ones left failing. Its name joins them with `+`. */
export type Plan = StrategyName[];

export function planName(plan: readonly StrategyName[]): string {
  return plan.join('+');
}

/**
 * The plans that fit a check, in the order the healer tries them: the gentlest
 * first (fix values in place), then ones that also move what cannot be fixed to
 * quarantine. Checks of a whole table (row_count, freshness) and custom sql have
 * no built-in fix: an agent can propose one.
 */
export function plansFor(check: ConfiguredCheck, rule: DuplicateRule, options: { restorable?: boolean } = {}): Plan[] {
  // History first: when some failing rows have a good earlier version, every plan restores those and goes on with the rest.
  const generic = genericPlans(check, rule);
  if (!options.restorable || check.kind === 'unique') return generic;
  return [['restore'], ...generic.map((plan): Plan => ['restore', ...plan])];
}

/**
 * The plan called `name` if the check allows it (with or without restore, under
 * the duplicate rule in force): the memory may ask for a plan the usual list leaves
 * out. Plans that restore need a failing row with a good earlier version.
 */
export function planNamed(check: ConfiguredCheck, rule: DuplicateRule, name: string, options: { restorable?: boolean } = {}): Plan | undefined {
  return [...plansFor(check, rule, options), ...genericPlans(check, rule)].find((plan) => planName(plan) === name);
}

/** The plans for the rows no earlier version can restore, gentlest first. */
function genericPlans(check: ConfiguredCheck, rule: DuplicateRule): Plan[] {
  switch (check.kind) {
    case 'not_null':
      return [['fill-default'], ['quarantine']];
    case 'accepted_values':
    case 'pattern':
    case 'foreign_key':
      return [['normalize-text'], ['normalize-text', 'quarantine'], ['quarantine']];
    case 'range':
      return [['quarantine']];
    case 'unique': {
      const keep: StrategyName = rule.keep === 'newest' ? 'keep-newest' : rule.keep === 'first' ? 'keep-first' : 'keep-latest-load';
      return [['drop-duplicates'], ['drop-duplicates', keep]];
    }
    default:
      return [];
  }
}

/** What running a plan gave: the edits of the steps that did something, or why it cannot fix the check. */
export type PlanOutcome =
  | {
      ok: true;
      edits: PatchEdit[];
      /** The steps that made edits: the strategy recorded. */ effective: StrategyName[];
      /** Rows changed, by what was done to them. */ kinds: Partial<Record<FixKind, number>>;
    }
  | { ok: false; reason: string };

/** Run a plan's steps over the failing rows; it fits only when no row is left failing. */
export async function runPlan(context: StrategyContext, plan: Plan, failing: FailingRow[]): Promise<PlanOutcome> {
  let remaining = failing;
  const edits: PatchEdit[] = [];
  const effective: StrategyName[] = [];
  const kinds: Partial<Record<FixKind, number>> = {};
  for (const step of plan) {
    if (remaining.length === 0) break;
    const outcome = await runStep(context, step, remaining);
    if ('notApplicable' in outcome) return { ok: false, reason: outcome.notApplicable };
    if (outcome.edits.length > 0) effective.push(step);
    for (const edit of outcome.edits) {
      const kind = edit.op === 'quarantine' ? 'quarantined' : fixKindOf(step);
      kinds[kind] = (kinds[kind] ?? 0) + 1;
    }
    edits.push(...outcome.edits);
    remaining = outcome.remaining;
  }
  if (remaining.length > 0)
    return { ok: false, reason: `cannot fix ${remaining.length} of the ${failing.length} failing row${failing.length === 1 ? '' : 's'} (the first: ${JSON.stringify(remaining[0]!.key)})` };
  if (edits.length === 0) return { ok: false, reason: 'changes nothing' };
  return { ok: true, edits, effective, kinds };
}

function runStep(context: StrategyContext, step: StrategyName, failing: FailingRow[]): Promise<StepOutcome> {
  switch (step) {
    case 'restore':
      return restore(context, failing);
    case 'keep-latest-load':
      return keepLatestLoad(context, failing);
    case 'restore-referenced':
    case 'revert-deletes':
      return Promise.resolve({ notApplicable: `${step} is a fix of its own, not a step of a plan` });
    case 'fill-default':
      return fillDefault(context, failing);
    case 'normalize-text':
      return normalizeText(context, failing);
    case 'drop-duplicates':
      return dropDuplicates(context, failing);
    case 'keep-first':
      return keepOne(context, failing, 'first');
    case 'keep-newest': {
      const rule = context.duplicateRule;
      return rule.keep === 'newest' ? keepOne(context, failing, { newest: rule.by }) : Promise.resolve({ notApplicable: 'keep-newest needs a column to order by (by: in dgit.yml)' });
    }
    case 'quarantine':
      return quarantine(context, failing);
    case 'coerce-type':
      return Promise.resolve({ notApplicable: 'coerce-type fixes a column whose type drifted, not a failing check' });
  }
}
