import { describe, expect, it } from 'vitest';
import { renderCheckTerminal } from '../../formats/checks/index.js';
import { checkReport, checkResult, HOSTILE } from './report-fixtures.js';

describe('terminal check report', () => {
  it('a table of every check, then the failed ones with their rows, then a summary', () => {
    const out = renderCheckTerminal(
      checkReport([
        checkResult(),
        checkResult({ check: 'flights.row_count', kind: 'row_count', column: null, columns: [], passed: true, failing_rows: 0, sample: [], message: '6 rows', line: 9 }),
      ]),
    );
    expect(out).toBe(
      [
        'check                   severity  status  failing rows  sample',
        '----------------------  --------  ------  ------------  ------------',
        'flights.delay.not_null  error     FAIL               3  id=4: null …',
        'flights.row_count       error     pass               -',
        '',
        'FAIL flights.delay.not_null (dgit.yml:5): 3 rows with no delay',
        '  id=4: null',
        '  id=9: null',
        '  … 1 more',
        '',
        '1 of 2 checks failed at 0123456789ab',
        '',
      ].join('\n'),
    );
  });

  it('control characters from the data are shown, not sent to the terminal', () => {
    const out = renderCheckTerminal(checkReport([checkResult({ check: HOSTILE, message: HOSTILE, sample: [{ key: { id: HOSTILE }, value: HOSTILE }] })]));
    expect(out).not.toContain('\u001b');
    expect(out).not.toContain('\r');
    expect(out).not.toContain('\u202e');
    expect(out).toContain('\\u001b[31mred');
  });

  it('colours the status only when asked', () => {
    expect(renderCheckTerminal(checkReport([checkResult()]), { colour: true })).toContain('\u001b[31mFAIL  \u001b[0m');
    expect(renderCheckTerminal(checkReport([checkResult()]))).not.toContain('\u001b');
  });

  it('says when there is nothing to check', () => {
    expect(renderCheckTerminal(checkReport([], { config: false, revision: 'WORKING' }))).toBe('no dgit.yml at the working set: nothing to check\n');
  });
});
