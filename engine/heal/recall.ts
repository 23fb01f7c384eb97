import type { CheckHistory } from '../incidents/incident-memory.js';

/** A fix the healer can try, known by the name of its strategy. */
export interface NamedCandidate {
  name: string;
}

/** Candidates in the order to try them, each marked when the memory put it first, and what the memory said. */
export interface RecalledOrder<C extends NamedCandidate> {
  ordered: Array<C & { remembered: boolean }>;
  memory: string | null;
}

/**
 * The candidates for a failing check in the order to try them, by what the memory
 * says about the check: the strategy of its newest merged fix first, whatever kind
 * it is (a fix of the cause, restore, a plan for the rows, coerce-type), and the
 * strategies rejected before last. A remembered strategy names the steps that made
 * edits, so it is found as a candidate of that name, else through `extra` (a plan
 * the check allows that the usual list leaves out: normalize-text alone when every
 * plan now starts with restore), else as the first candidate whose steps include
 * its steps in order (keep-latest-load in drop-duplicates+keep-latest-load).
 */
export function recallOrder<C extends NamedCandidate>(
  check: string,
  history: CheckHistory,
  candidates: readonly C[],
  extra?: (strategy: string) => C | undefined,
): RecalledOrder<C> {
  const previous = history.merged[0];
  const rejected = new Set(history.rejected.map((incident) => incident.strategy));
  let ordered = candidates.map((candidate) => ({ ...candidate, remembered: false }));
  let memory: string | null = null;
  if (previous?.strategy) {
    const strategy = previous.strategy;
    const index = ordered.findIndex((candidate) => candidate.name === strategy);
    const added = index < 0 ? extra?.(strategy) : undefined;
    const within = index < 0 && !added ? ordered.findIndex((candidate) => containsSteps(candidate.name, strategy)) : -1;
    const at = index >= 0 ? index : within;
    const remembered = added ? { ...added, remembered: true } : at >= 0 ? { ...ordered.splice(at, 1)[0]!, remembered: true } : undefined;
    if (remembered) {
      ordered.unshift(remembered);
      const as = remembered.name === strategy ? '' : ` (as ${remembered.name})`;
      memory = `${strategy} fixed ${check} before (incident ${previous.id}, merged), so it is tried first${as}`;
    } else {
      const who = strategy === 'agent' ? "an agent's patch" : strategy;
      memory = `${who} fixed ${check} before (incident ${previous.id}, merged); no built-in strategy repeats it`;
    }
  }
  if (rejected.size > 0) {
    const last = ordered.filter((candidate) => !candidate.remembered && rejected.has(candidate.name));
    ordered = [...ordered.filter((candidate) => !last.includes(candidate)), ...last];
    if (last.length > 0) memory = `${memory ? `${memory}; ` : ''}${last.map((candidate) => candidate.name).join(', ')} was rejected before, so it is tried last`;
  }
  return { ordered, memory };
}

/** Whether the plan `name` (`a+b+c`) holds the steps of `strategy` (`a+c`) in order. */
function containsSteps(name: string, strategy: string): boolean {
  const steps = name.split('+');
  let at = 0;
  for (const step of strategy.split('+')) {
    at = steps.indexOf(step, at);
    if (at < 0) return false;
    at++;
  }
  return true;
}
