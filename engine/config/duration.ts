import { DURATION_PATTERN } from './config-schema.js';

const SECONDS = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 } as const;

/** Seconds of a duration written as in dgit.yml (`36h`, `7d`, `1d12h`); undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  if (!DURATION_PATTERN.test(text)) return undefined;
  let seconds = 0;
  for (const part of text.matchAll(/(\d+)([smhdw])/g)) seconds += Number(part[1]) * SECONDS[part[2] as keyof typeof SECONDS];
  return seconds;
}
