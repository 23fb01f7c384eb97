import type { CheckReport, CheckResult } from '../../engine/checks/index.js';

/** A check result with plain defaults; tests override what they are about. */
export function checkResult(overrides: Partial<CheckResult> = {}): CheckResult {
  return {
    check: 'flights.delay.not_null',
    table: 'flights',
    column: 'delay',
    columns: ['delay'],
    kind: 'not_null',
    severity: 'error',
    passed: false,
    failing_rows: 3,
    sample: [
      { key: { id: 4 }, value: null },
      { key: { id: 9 }, value: null },
    ],
    message: '3 rows with no delay',
    scope: 'table',
    chunks: { checked: 1, total: 1 },
    line: 5,
    ...overrides,
  };
}

export function checkReport(results: CheckResult[], overrides: Partial<CheckReport> = {}): CheckReport {
  return {
    revision: '0123456789abcdef0123456789abcdef01234567',
    passed: !results.some((r) => !r.passed && r.severity === 'error'),
    config: true,
    results,
    ...overrides,
  };
}

/** Text from a hostile upstream load: every way to break a table, a comment, a terminal or a workflow log. */
export const HOSTILE = 'x | y `code` <script>alert(1)</script> @everyone #123 [click](javascript:alert(1)) 50% a:b,c\n::error::injected\r\u001b[31mred\u202e';
