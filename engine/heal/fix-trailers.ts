// What a heal commit says about its fix, read from the trailers the healer writes
// (`dgit-fix:`, `dgit-resolution:`, `dgit-evidence:`, `dgit-review:`). A module with
// no dependencies, so the fronts import it through engine/index.ts at no cost.

/** The fix a heal commit carries, as its trailers state it. */
export interface FixTrailers {
  /** Rows per fix kind (`restored`, `normalized`, `coerced`, `deduplicated`, `defaulted`, `quarantined`). */
  kinds: Record<string, number>;
  /** `fixed`, `contained`, or undefined when the commit does not say. */
  resolution: 'fixed' | 'contained' | undefined;
  /** The commit restored values come from (the last revision where the check passed). */
  evidence: string | undefined;
  /** Whether a person must approve the proposal before it lands. */
  reviewRequired: boolean;
  incident: string | undefined;
  check: string | undefined;
  strategy: string | undefined;
}

/** The value of the last `name: value` trailer line of a commit message. */
function trailer(message: string, name: string): string | undefined {
  const matches = [...message.matchAll(new RegExp(`^${name}: (.+)$`, 'gm'))];
  return matches.at(-1)?.[1]?.trim();
}

/** `restored 45 (from 1a2b3c4d5e6f), quarantined 5` (or `none`) back to counts per kind. */
export function parseFixKinds(text: string): Record<string, number> {
  const kinds: Record<string, number> = {};
  for (const match of text.matchAll(/(?:^|, )([a-z]+) (\d+)/g)) kinds[match[1]!] = (kinds[match[1]!] ?? 0) + Number(match[2]);
  return kinds;
}

/** The fix trailers of a commit message, or undefined when it has no `dgit-fix:` trailer (not a heal commit). */
export function readFixTrailers(message: string): FixTrailers | undefined {
  const fix = trailer(message, 'dgit-fix');
  if (fix === undefined) return undefined;
  const resolution = trailer(message, 'dgit-resolution');
  return {
    kinds: parseFixKinds(fix),
    resolution: resolution === 'fixed' || resolution === 'contained' ? resolution : undefined,
    evidence: trailer(message, 'dgit-evidence'),
    reviewRequired: trailer(message, 'dgit-review') === 'required',
    incident: trailer(message, 'dgit-incident'),
    check: trailer(message, 'dgit-check'),
    strategy: trailer(message, 'dgit-strategy'),
  };
}
