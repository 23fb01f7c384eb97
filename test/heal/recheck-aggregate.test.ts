import { describe, expect, it } from 'vitest';
import type { CheckObservation, CheckReport, CheckResult } from '../../engine/checks/check-result.js';
import { compareReports } from '../../engine/heal/recheck.js';
import { checksMadeWorse } from '../../engine/queue/queue-machine.js';

/**
 * row_count and freshness judge the table as a whole: they fail with no failing
 * rows, so "fails on more rows" never saw a fix that takes a too-small table from 4
 * rows to 3, or pushes the newest row back a year. The heal re-check and the merge
 * queue (and merge gate) count such a move as worse.
 */
function result(check: string, kind: 'row_count' | 'freshness' | 'not_null', passed: boolean, observed?: CheckObservation, failing = 0): CheckResult {
  return { check, table: 't', column: null, columns: [], kind, severity: 'error', passed, failing_rows: failing, sample: [], message: passed ? 'ok' : 'fails', scope: 'table', observed, line: 1 };
}
const report = (...results: CheckResult[]): CheckReport => ({ revision: 'x', passed: results.every((r) => r.passed), config: true, results });
const rows = (n: number, min = 5): CheckObservation => ({ rows: n, parent_rows: null, change: null, change_percent: null, missed_by: Math.max(0, min - n) });
const newest = (at: string | null): CheckObservation => ({ newest: at, age_seconds: 0, max_age_seconds: 60 });

describe('worse, for checks of the whole table', () => {
  it('a failing row_count further from its bounds, or a freshness whose newest value gets older, is worse (one rule for heal and the queue)', () => {
    const before = report(result('t.row_count', 'row_count', false, rows(4)), result('t.fresh', 'freshness', false, newest('2025-06-01T00:00:00Z')), result('t.v.not_null', 'not_null', false, undefined, 2));
    const after = report(result('t.row_count', 'row_count', false, rows(3)), result('t.fresh', 'freshness', false, newest('2024-01-01T00:00:00Z')), result('t.v.not_null', 'not_null', true));
    const recheck = compareReports(before, after, ['t.v.not_null']);
    expect(recheck).toMatchObject({ ok: false, worse: ['t.row_count', 't.fresh'] });
    expect(recheck.reason).toBe('it makes t.row_count worse: 3 rows, 2 outside its bounds instead of 1; it makes t.fresh worse: newest 2024-01-01T00:00:00Z instead of 2025-06-01T00:00:00Z');
    expect(checksMadeWorse(after, before).map((r) => r.check)).toEqual(['t.row_count', 't.fresh']);
  });

  it('a count nearer its bounds and a newer newest value are not worse', () => {
    const before = report(result('t.row_count', 'row_count', false, rows(4, 6)), result('t.fresh', 'freshness', false, newest('2025-06-01T00:00:00Z')), result('t.v.not_null', 'not_null', false, undefined, 2));
    const after = report(result('t.row_count', 'row_count', false, rows(5, 6)), result('t.fresh', 'freshness', false, newest('2025-07-01T00:00:00Z')), result('t.v.not_null', 'not_null', true));
    expect(compareReports(before, after, ['t.v.not_null'])).toMatchObject({ ok: true, worse: [] });
    expect(checksMadeWorse(after, before)).toEqual([]);
  });
});

describe('worse, for a check a drifted column blocked', () => {
  it('is not worse when the type fix lets it run and it fails, nor while it stays blocked; a new failure to run is', () => {
    const blocked = (check: string): CheckResult => ({ ...result(check, 'not_null', false), error: 'could not run: t.v is Utf8', blocked_by: 't.v.schema' });
    const base = report(result('t.v.schema', 'not_null', false, undefined, 3), blocked('t.v.not_null'), blocked('t.v.range'));
    const fixed = report(result('t.v.not_null', 'not_null', false, undefined, 2), blocked('t.v.range'));
    expect(checksMadeWorse(fixed, base)).toEqual([]);
    expect(compareReports(base, fixed, ['t.v.schema'])).toMatchObject({ worse: [] });
    const broken = report({ ...result('t.v.not_null', 'not_null', false), error: 'the query failed' });
    expect(checksMadeWorse(broken, base).map((r) => r.check)).toEqual(['t.v.not_null']);
    expect(compareReports(base, broken, ['t.v.schema']).reason).toContain('it makes t.v.not_null worse: it could not run: the query failed');
  });
});
