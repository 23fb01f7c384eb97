import type { CheckReport } from '../../engine/checks/check-result.js';

/** The report as the JSON document of `dgit check --json` (CLI.md's contract), two-space indented. */
export function renderCheckJson(report: CheckReport): string {
  return JSON.stringify(report, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value), 2) + '\n';
}
