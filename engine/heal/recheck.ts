import { worseThan, type CheckReport, type CheckResult } from '../checks/check-result.js';

/** What re-running the checks on a proposal found. */
export interface Recheck {
  /** The proposal makes `mustPass` pass and breaks no check that passed before. */
  ok: boolean;
  /** Checks that failed before and pass now. */
  fixed: string[];
  /** Checks that passed before and fail now. */
  broken: string[];
  /** Of `mustPass`, those still failing (or gone). */
  unfixed: string[];
  /** Checks that failed before and fail on more rows now (or, judging the whole table, further from passing). */
  worse: string[];
  /** One sentence: why the proposal is not offered, or what it fixes. */
  reason: string;
}

/**
 * Judge a proposal by its checks: every check of `mustPass` passes on it, every
 * check that passed on the failing revision still passes (whatever its severity:
 * a fix must not trade one warning for another), and no other failing check fails
 * on more rows than before.
 */
export function compareReports(before: CheckReport | undefined, after: CheckReport, mustPass: readonly string[]): Recheck {
  const beforeById = new Map((before?.results ?? []).map((result) => [result.check, result]));
  const afterById = new Map(after.results.map((result) => [result.check, result]));
  const passes = (result: CheckResult | undefined) => result !== undefined && result.passed && !result.error;
  // A schema result exists only while a column is drifted: gone afterwards means fixed.
  const driftGone = (id: string) => beforeById.get(id)?.kind === 'schema' && !afterById.has(id);
  const unfixed = mustPass.filter((id) => !passes(afterById.get(id)) && !driftGone(id));
  const broken = after.results.filter((result) => passes(beforeById.get(result.check)) && !passes(result)).map((result) => result.check);
  // A check that was failing must not get worse (a fix for one check must not pile onto another): the queue's rule.
  const worse = after.results.flatMap((result) => {
    const was = beforeById.get(result.check);
    if (was === undefined || passes(was) || passes(result) || mustPass.includes(result.check)) return [];
    const how = worseThan(was, result);
    return how === undefined ? [] : [{ id: result.check, how }];
  });
  const fixed = [
    ...(before?.results ?? []).filter((result) => driftGone(result.check)).map((result) => result.check),
    ...after.results.filter((result) => !passes(beforeById.get(result.check)) && passes(result)).map((result) => result.check),
  ];
  const parts: string[] = [];
  for (const id of unfixed) {
    const result = afterById.get(id);
    parts.push(result ? `${id} still fails: ${result.message}` : `${id} did not run on the proposal`);
  }
  for (const id of broken) parts.push(`it breaks ${id}, which passed: ${afterById.get(id)!.message}`);
  for (const { id, how } of worse) parts.push(`it makes ${id} worse: ${how}`);
  const ok = unfixed.length === 0 && broken.length === 0 && worse.length === 0;
  return { ok, fixed, broken, unfixed, worse: worse.map((w) => w.id), reason: ok ? `fixes ${fixed.join(', ') || 'no failing check'} and breaks none` : parts.join('; ') };
}
