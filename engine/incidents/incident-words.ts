// The names and words of incidents, in a module of their own with no dependencies, so
// the fronts can import them through engine/index.ts without loading the incident table code.

/** The dgit table that holds the incident memory. */
export const INCIDENTS_TABLE = '_dgit_incidents';

/** A fix is `contained`, not `fixed`, when some rows were only defaulted or quarantined. */
export function resolutionOf(kinds: Record<string, number>): 'fixed' | 'contained' {
  return (kinds['defaulted'] ?? 0) > 0 || (kinds['quarantined'] ?? 0) > 0 ? 'contained' : 'fixed';
}

/** `restored 45 (from 1a2b3c4d5e6f), quarantined 5`: a fix's kinds as people read them, most faithful first. */
export function fixKindsText(kinds: Record<string, number> | null, evidence?: string | null): string {
  if (!kinds) return '';
  const order = ['restored', 'normalized', 'coerced', 'deduplicated', 'defaulted', 'quarantined'];
  return Object.entries(kinds)
    .filter(([, count]) => count > 0)
    .sort(([a], [b]) => order.indexOf(a) - order.indexOf(b))
    .map(([kind, count]) => `${kind} ${count}${kind === 'restored' && evidence ? ` (from ${evidence.slice(0, 12)})` : ''}`)
    .join(', ');
}


/**
 * An incident is open until its fix lands (merged) or a person accepts the new state
 * (accepted). Proposed, failed and rejected are open: the check still fails on the
 * default branch, so a new failure of the check updates that incident rather than
 * opening another.
 */
export function isOpenOutcome(outcome: string): boolean {
  return outcome !== 'merged' && outcome !== 'accepted';
}
