import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { runChecks, type CheckReport, type CheckResult } from '../../engine/checks/index.js';
import { CheckVerdictCache } from '../../engine/checks/check-scope.js';
import { runSql } from '../../engine/commands/sql.js';
import { parseConfig } from '../../engine/config/config-file.js';
import type { Repository } from '../../engine/repository/repository.js';
import { ChunkFileCache } from '../../engine/table/chunk-files.js';
import { commitTables, load, newRepository, yaml } from './check-fixtures.js';

/**
 * Row-local checks on a clean commit read only the chunks new since the first
 * parent, when the parent is known to pass them; the verdict is the one a full
 * run gives. The table is ~20,000 rows, so a handful of chunks of ~4,096.
 */

const ROWS = Array.from({ length: 20_000 }, (_, i) => ({ id: i + 1, value: (i + 1) % 1000, code: ['AA', 'BB', 'CC'][(i + 1) % 3] }));

const ROW_LOCAL = [
  '      - { kind: not_null, column: value }',
  '      - { kind: range, column: value, min: 0, max: 999 }',
  '      - { kind: pattern, column: code, pattern: "^[A-Z]{2}$" }',
  '      - { kind: accepted_values, column: code, values: [AA, BB, CC] }',
];
const CONFIG = yaml('version: 1', 'tables:', '  events:', '    checks:', ...ROW_LOCAL, '      - { kind: unique, column: value, severity: warn }', '      - { kind: row_count, max_change: 10 }');
const ROW_LOCAL_CONFIG = yaml('version: 1', 'tables:', '  events:', '    checks:', ...ROW_LOCAL);

let repository: Repository;
let first: string;

beforeAll(async () => {
  ({ repository } = await newRepository());
  first = await commitTables(repository, 'twenty thousand events', { events: { key: ['id'], rows: ROWS } }, CONFIG);
  // The first commit has no parent: every check reads the whole table, and the passes are remembered.
  const report = await runChecks(repository, first);
  expect(report.results.every((r) => r.scope === 'table')).toBe(true);
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** What a result says about the data, without how it was computed. */
function verdict(result: CheckResult): unknown {
  const { scope: _scope, chunks: _chunks, ...rest } = result;
  return rest;
}

async function expectSameVerdictAsFullRun(rev: string, incremental: CheckReport): Promise<void> {
  const full = await runChecks(repository, rev, { incremental: false });
  expect(full.results.every((r) => r.scope === 'table')).toBe(true);
  expect(incremental.results.map(verdict)).toEqual(full.results.map(verdict));
  expect(incremental.passed).toBe(full.passed);
}

function scopes(report: CheckReport): Record<string, string> {
  return Object.fromEntries(report.results.map((r) => [r.check, r.scope]));
}

describe('incremental checks', () => {
  let second: string;

  it('after a 3-row edit, row-local checks read only the changed chunks and agree with a full run', async () => {
    second = await commitTables(repository, 'three edits', { events: { mode: 'upsert', rows: [{ id: 10, value: 1, code: 'BB' }, { id: 10_010, value: 2, code: 'CC' }, { id: 10_011, value: 3, code: 'AA' }] } });
    const report = await runChecks(repository, second);
    expect(scopes(report)).toEqual({
      'events.value.not_null': 'changed-chunks',
      'events.value.range': 'changed-chunks',
      'events.code.pattern': 'changed-chunks',
      'events.code.accepted_values': 'changed-chunks',
      'events.value.unique': 'table',
      'events.row_count': 'table',
    });
    const chunks = report.results[0]!.chunks!;
    expect(chunks.total).toBeGreaterThanOrEqual(3);
    expect(chunks.checked).toBeGreaterThanOrEqual(1);
    expect(chunks.checked).toBeLessThanOrEqual(3);
    expect(report.results.filter((r) => r.kind !== 'unique').every((r) => r.passed)).toBe(true);
    await expectSameVerdictAsFullRun(second, report);
  });

  it('gives DuckDB only the changed chunk files', async () => {
    const files = vi.spyOn(ChunkFileCache.prototype, 'file');
    const report = await runChecks(repository, second, { config: ROW_LOCAL_CONFIG });
    const { checked, total } = report.results[0]!.chunks!;
    expect(checked).toBeLessThan(total);
    expect(files).toHaveBeenCalledTimes(checked);
    files.mockClear();
    await runChecks(repository, second, { config: ROW_LOCAL_CONFIG, incremental: false });
    expect(files).toHaveBeenCalledTimes(total);
  });

  it('a failure in a changed chunk is found, and stays found on the next commit though its chunk is then unchanged', async () => {
    const third = await commitTables(repository, 'a value out of range', { events: { mode: 'upsert', rows: [{ id: 7, value: 5000, code: 'AA' }] } });
    const thirdReport = await runChecks(repository, third);
    expect(thirdReport.results[1]).toMatchObject({ check: 'events.value.range', scope: 'changed-chunks', passed: false, failing_rows: 1, sample: [{ key: { id: 7 }, value: 5000 }] });
    await expectSameVerdictAsFullRun(third, thirdReport);

    // The parent failed the range check: the next commit must read the whole table, or it would miss row 7.
    const fourth = await commitTables(repository, 'an edit far from row 7', { events: { mode: 'upsert', rows: [{ id: 19_999, value: 4, code: 'BB' }] } });
    const fourthReport = await runChecks(repository, fourth);
    expect(fourthReport.results[1]).toMatchObject({ check: 'events.value.range', scope: 'table', passed: false, failing_rows: 1, sample: [{ key: { id: 7 } }] });
    // Checks the parent passed still read only the changed chunk.
    expect(fourthReport.results[0]).toMatchObject({ check: 'events.value.not_null', scope: 'changed-chunks', chunks: { checked: 1 } });
    await expectSameVerdictAsFullRun(fourth, fourthReport);
  });

  it('a changed check definition reads the whole table', async () => {
    const changed = yaml('version: 1', 'tables:', '  events:', '    checks:', '      - { kind: range, column: value, min: 0, max: 998 }');
    const report = await runChecks(repository, second, { config: changed });
    expect(report.results[0]).toMatchObject({ scope: 'table', failing_rows: 20 });
  });

  it('without a record of the parent (a fresh clone, or a parent without dgit.yml) it reads the whole table', async () => {
    fs.rmSync(path.join(repository.gitdir, 'dgit', 'cache', 'checks'), { recursive: true, force: true });
    const report = await runChecks(repository, second, { config: ROW_LOCAL_CONFIG });
    expect(report.results.every((r) => r.scope === 'table')).toBe(true);
    // That run recorded the passes, so the next one is incremental again.
    const next = await runChecks(repository, second, { config: ROW_LOCAL_CONFIG });
    expect(next.results.every((r) => r.scope === 'table')).toBe(true); // second's parent (first) still has no record
    await runChecks(repository, first, { config: ROW_LOCAL_CONFIG });
    const after = await runChecks(repository, second, { config: ROW_LOCAL_CONFIG });
    expect(after.results.every((r) => r.scope === 'changed-chunks')).toBe(true);
  });

  it('a schema change reads the whole table', async () => {
    await load(repository, { events: { mode: 'upsert', rows: [{ id: 1, value: 1, code: 'BB', note: 'new column' }] } });
    const report = await runChecks(repository, undefined, { config: ROW_LOCAL_CONFIG });
    expect(report.revision).toBe('WORKING');
    expect(report.results.every((r) => r.scope === 'table')).toBe(true);
  });

  it('the working set is checked against HEAD the same way', async () => {
    const { repository: other } = await newRepository();
    const head = await commitTables(other, 'events', { events: { key: ['id'], rows: ROWS } }, ROW_LOCAL_CONFIG);
    await runChecks(other, head);
    await load(other, { events: { mode: 'upsert', rows: [{ id: 3, value: -1, code: 'AA' }] } });
    const report = await runChecks(other, undefined);
    expect(report.results[1]).toMatchObject({ scope: 'changed-chunks', passed: false, sample: [{ key: { id: 3 }, value: -1 }] });
    expect(report.results[1]!.chunks!.checked).toBe(1);
  });
});

describe('incremental range checks and NaN', () => {
  // 10,000 readings over several chunks; DuckDB orders NaN above every number, so a lone minimum once passed it.
  const config = yaml('version: 1', 'tables:', '  readings:', '    checks:', '      - { kind: range, column: v, min: 0 }');
  async function readings(nanAt: number | undefined): Promise<{ repository: Repository; first: string }> {
    const { repository } = await newRepository();
    await runSql(repository, 'CREATE TABLE readings (id BIGINT PRIMARY KEY, v DOUBLE)');
    await runSql(repository, `INSERT INTO readings SELECT i, CASE WHEN i = ${nanAt ?? -1} THEN 'NaN'::DOUBLE ELSE i END FROM range(1, 10001) r(i)`);
    return { repository, first: await commitTables(repository, 'readings', {}, config) };
  }

  it('a NaN in a changed chunk fails', async () => {
    const { repository, first } = await readings(undefined);
    expect((await runChecks(repository, first)).results[0]).toMatchObject({ passed: true });
    const second = await commitTables(repository, 'a NaN', { readings: { mode: 'upsert', rows: [{ id: 9_999, v: 'NaN' }] } });
    expect((await runChecks(repository, second)).results[0]).toMatchObject({ scope: 'changed-chunks', passed: false, failing_rows: 1, sample: [{ key: { id: 9_999 }, value: 'NaN' }] });
  });

  it('a pass an older dgit recorded for a NaN (verdict format 1) is not trusted', async () => {
    const { repository, first } = await readings(1);
    const tree = (await repository.tableTrees((await repository.revision(first)).tree)).get('readings')!;
    new CheckVerdictCache(repository.gitdir, 1).recordPass(tree, parseConfig(config).checks[0]!);
    const second = await commitTables(repository, 'an edit far from the NaN', { readings: { mode: 'upsert', rows: [{ id: 9_999, v: 5 }] } });
    expect((await runChecks(repository, second)).results[0]).toMatchObject({ scope: 'table', passed: false, failing_rows: 1, sample: [{ key: { id: 1 }, value: 'NaN' }] });
  });
});
