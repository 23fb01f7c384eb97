import { jsonBytes } from '../untrusted-data.js';

/**
 * The leading items that fit in `budget` bytes of JSON, measuring each string as
 * the fence will hand it over (cut to `cellChars`). At least one item is kept
 * when there is one, so a wide row still shows.
 */
export function withinBytes<T>(items: readonly T[], budget: number, cellChars: number): { kept: T[]; cut: boolean } {
  const kept: T[] = [];
  let used = 0;
  for (const item of items) {
    const size = jsonBytes(capStrings(item, cellChars)) + 1;
    if (kept.length > 0 && used + size > budget) return { kept, cut: true };
    kept.push(item);
    used += size;
  }
  return { kept, cut: false };
}

/** A value with its strings cut to `cellChars`, as the fence will hand it over. */
export function capStrings(value: unknown, cellChars: number): unknown {
  if (typeof value === 'string') return value.length > cellChars ? value.slice(0, cellChars) : value;
  if (Array.isArray(value)) return value.map((item) => capStrings(item, cellChars));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) out[key] = capStrings(item, cellChars);
    return out;
  }
  return value;
}
