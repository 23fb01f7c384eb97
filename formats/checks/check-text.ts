import type { CheckResult, CheckSample } from '../../engine/checks/check-result.js';

/**
 * Text of check results for people, shared by the renderers: what a status is
 * called, and values and keys as short single-line text.
 */

/** pass, FAIL (error severity), WARN (warn severity), ERROR (could not run). */
export type CheckStatus = 'pass' | 'FAIL' | 'WARN' | 'ERROR';

export function checkStatus(result: CheckResult): CheckStatus {
  if (result.passed) return 'pass';
  if (result.error !== undefined) return 'ERROR';
  return result.severity === 'error' ? 'FAIL' : 'WARN';
}

/** How many checks passed and failed, by severity. */
export function checkCounts(results: readonly CheckResult[]): { total: number; passed: number; failed: number; warnings: number } {
  const failed = results.filter((r) => !r.passed && r.severity === 'error').length;
  const warnings = results.filter((r) => !r.passed && r.severity === 'warn').length;
  return { total: results.length, passed: results.length - failed - warnings, failed, warnings };
}

/** `2 of 10 checks failed, 1 warning` / `no check failed, 1 warning` / `all 10 checks passed` */
export function summaryText(results: readonly CheckResult[]): string {
  const counts = checkCounts(results);
  if (counts.total === 0) return 'no checks';
  const warnings = counts.warnings > 0 ? `${counts.warnings} warning${counts.warnings === 1 ? '' : 's'}` : '';
  if (counts.failed === 0) return warnings ? `no check failed, ${warnings}` : `all ${counts.total} check${counts.total === 1 ? '' : 's'} passed`;
  return `${counts.failed} of ${counts.total} check${counts.total === 1 ? '' : 's'} failed${warnings ? `, ${warnings}` : ''}`;
}

export { visibleText, truncateText } from '../text/safe-text.js';

/** A JSON value as short text: strings bare, the rest as JSON. */
export function valueText(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  return JSON.stringify(value);
}

/** A key as `id=4` or `origin="JFK", day="2024-01-01"`. */
export function keyText(key: Record<string, unknown>): string {
  return Object.entries(key)
    .map(([name, value]) => `${name}=${valueText(value)}`)
    .join(', ');
}

/** One sample as `id=4: null`. */
export function sampleText(sample: CheckSample, kind: CheckResult['kind']): string {
  // An sql sample's value is the whole returned row; where it is also the key, one copy says it all.
  if (kind === 'sql' && JSON.stringify(sample.key) === JSON.stringify(sample.value)) return keyText(sample.key);
  return `${keyText(sample.key)}: ${valueText(sample.value)}`;
}
