import type { ConfiguredCheck } from '../../config/configured-check.js';
import type { PatchEdit } from '../patch.js';
import { dropDuplicates, keepOne } from './duplicates.js';
import { fillDefault } from './fill-default.js';
import { normalizeText } from './normalize-text.js';
import { quarantine } from './quarantine.js';
import type { DuplicateRule, FailingRow, StepOutcome, StrategyContext, StrategyName } from './strategy-context.js';

export { StrategyContext, SessionPool, STRATEGY_NAMES, type StrategyName, type DuplicateRule, type FailingRow } from './strategy-context.js';
export { detectTypeDrift, coerceTypeBuilder, type TypeDrift } from './coerce-type.js';

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
export function plansFor(check: ConfiguredCheck, rule: DuplicateRule): Plan[] {
  switch (check.kind) {
    case 'not_null':
      return [['fill-default'], ['quarantine']];
    case 'accepted_values':
    case 'pattern':
    case 'foreign_key':
      return [['normalize-text'], ['normalize-text', 'quarantine'], ['quarantine']];
    case 'range':
      return [['quarantine']];
    case 'unique':
      return [['drop-duplicates'], ['drop-duplicates', rule.keep === 'newest' ? 'keep-newest' : 'keep-first']];
    default:
      return [];
  }
}

/** What running a plan gave: the edits of the steps that did something, or why it cannot fix the check. */
export type PlanOutcome =
  | { ok: true; edits: PatchEdit[]; /** The steps that made edits: the strategy recorded. */ effective: StrategyName[] }
  | { ok: false; reason: string };

/** Run a plan's steps over the failing rows; it fits only when no row is left failing. */
export async function runPlan(context: StrategyContext, plan: Plan, failing: FailingRow[]): Promise<PlanOutcome> {
  let remaining = failing;
  const edits: PatchEdit[] = [];
  const effective: StrategyName[] = [];
  for (const step of plan) {
    if (remaining.length === 0) break;
    const outcome = await runStep(context, step, remaining);
    if ('notApplicable' in outcome) return { ok: false, reason: outcome.notApplicable };
    if (outcome.edits.length > 0) effective.push(step);
    edits.push(...outcome.edits);
    remaining = outcome.remaining;
  }
  if (remaining.length > 0)
    return { ok: false, reason: `cannot fix ${remaining.length} of the ${failing.length} failing row${failing.length === 1 ? '' : 's'} (the first: ${JSON.stringify(remaining[0]!.key)})` };
  if (edits.length === 0) return { ok: false, reason: 'changes nothing' };
  return { ok: true, edits, effective };
}

function runStep(context: StrategyContext, step: StrategyName, failing: FailingRow[]): Promise<StepOutcome> {
  switch (step) {
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
      return rule.keep === 'newest' ? keepOne(context, failing, { newest: rule.by }) : Promise.resolve({ notApplicable: 'keep-newest needs a column to order by' });
    }
    case 'quarantine':
      return quarantine(context, failing);
    case 'coerce-type':
      return Promise.resolve({ notApplicable: 'coerce-type fixes a column whose type drifted, not a failing check' });
  }
}
