import { truncateText } from './safe-text.js';

/**
 * The first rendering that fits `budget` characters (a GitHub comment holds
 * 65,536): each of `attempts` in order, from most to least detail; then the most
 * items `keep(n)` can show (binary search over 0..`items`); then a hard cut.
 */
export function fitToBudget(budget: number, attempts: ReadonlyArray<() => string>, keep: (count: number) => string, items: number): string {
  for (const attempt of attempts) {
    const out = attempt();
    if (out.length <= budget) return out;
  }
  let low = 0;
  let high = items;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (keep(middle).length <= budget) low = middle;
    else high = middle - 1;
  }
  const out = keep(low);
  return out.length <= budget ? out : truncateText(out, budget);
}
