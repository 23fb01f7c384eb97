import { describe, expect, it } from 'vitest';
import { escapeCommandData, escapeCommandProperty, renderCheckGithub, renderConfigIssuesGithub } from '../../formats/checks/index.js';
import { checkReport, checkResult, HOSTILE } from './report-fixtures.js';

describe('GitHub workflow annotations', () => {
  it('escape %, CR and LF in messages, and also : and , in properties, as GitHub\'s toolkit does', () => {
    expect(escapeCommandData('50% done\r\nnext: a,b')).toBe('50%25 done%0D%0Anext: a,b');
    expect(escapeCommandProperty('50% done\r\nnext: a,b')).toBe('50%25 done%0D%0Anext%3A a%2Cb');
  });

  it('one annotation per failed check, on its dgit.yml line, warnings as ::warning', () => {
    const out = renderCheckGithub(
      checkReport([
        checkResult({ line: 5 }),
        checkResult({ check: 'flights.carrier.accepted_values', severity: 'warn', line: 9, failing_rows: 1, sample: [{ key: { id: 2 }, value: 'aa' }], message: '1 row whose carrier is not one of the 2 accepted values' }),
        checkResult({ check: 'flights.id.unique', passed: true, failing_rows: 0, sample: [], line: 12 }),
      ]),
    );
    expect(out).toBe(
      [
        '::error file=dgit.yml,line=5,title=dgit check flights.delay.not_null::3 rows with no delay%0AFailing rows: id=4: null; id=9: null; …',
        '::warning file=dgit.yml,line=9,title=dgit check flights.carrier.accepted_values::1 row whose carrier is not one of the 2 accepted values%0AFailing rows: id=2: "aa"',
        'dgit check: 1 of 3 checks failed, 1 warning',
        '',
      ].join('\n'),
    );
  });

  it('text from the data cannot end the command or start another one', () => {
    const out = renderCheckGithub(checkReport([checkResult({ check: HOSTILE, message: HOSTILE, description: HOSTILE, sample: [{ key: { id: HOSTILE }, value: HOSTILE }] })]));
    const lines = out.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    const [annotation] = lines;
    expect(annotation).toMatch(/^::error file=dgit\.yml,line=5,title=[^:]*::/);
    const title = /title=([^:]*)::/.exec(annotation!)![1]!;
    expect(title).not.toMatch(/[,\r\n]/);
    expect(title).toContain('a%3Ab%2Cc');
    expect(annotation).not.toContain('\r');
    expect(annotation).toContain('50%25');
  });

  it('the problems of dgit.yml become error annotations on their lines', () => {
    expect(renderConfigIssuesGithub([{ file: 'dgit.yml', line: 12, column: 15, path: 'tables.flights.checks[2].kind', message: 'unknown check kind "not_nul"' }])).toBe(
      '::error file=dgit.yml,line=12,col=15,title=invalid dgit.yml::tables.flights.checks[2].kind: unknown check kind "not_nul"\n',
    );
  });
});
