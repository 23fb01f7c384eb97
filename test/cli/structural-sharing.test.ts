import { beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { DATA, dgitOk, gitOut, tempDir } from '../support/cli.js';
import { duck } from '../support/duckdb.js';

function chunkIds(dir: string, rev: string, table: string): string[] {
  return gitOut(dir, 'ls-tree', '-r', '--name-only', rev, `tables/${table}/chunks`)
    .trim()
    .split('\n')
    .map((p) => path.basename(p, '.parquet'));
}

/**
 * Structural sharing and history independence on real data: 120,000 rows of
 * flights-3m, about 30 chunks (the benchmark measures 3,000,000).
 */
const ROWS = 120_000;
describe('structural sharing and history independence (flights)', () => {
  let work: string;
  let keyed: string;
  let keyless: string;
  let ten: string;
  let tenKeyless: string;
  beforeAll(async () => {
    work = tempDir();
    keyed = path.join(work, 'keyed.parquet');
    keyless = path.join(work, 'keyless.parquet');
    ten = path.join(work, 'ten.parquet');
    tenKeyless = path.join(work, 'ten-keyless.parquet');
    const flights = path.join(DATA, 'flights-3m.parquet');
    await duck(`
      COPY (SELECT row_number() OVER () AS id, * FROM read_parquet('${flights}') LIMIT ${ROWS}) TO '${keyed}' (FORMAT parquet);
      COPY (SELECT * EXCLUDE (id) FROM read_parquet('${keyed}')) TO '${keyless}' (FORMAT parquet);
      COPY (SELECT id, date, delay + 1000 AS delay, distance, origin, destination FROM read_parquet('${keyed}') WHERE id % (${ROWS} / 10) = 7) TO '${ten}' (FORMAT parquet);
      COPY (SELECT date, delay + 1000 AS delay, distance, origin, destination FROM read_parquet('${keyed}') WHERE id % (${ROWS} / 10) = 7) TO '${tenKeyless}' (FORMAT parquet)`);
  });

  it('upserting 10 rows into a keyed table rewrites only a handful of chunks; all others keep their blob ids', () => {
    const dir = path.join(work, 'keyed-repo');
    dgitOk(work, 'init', 'keyed-repo');
    dgitOk(dir, 'import', keyed, '--table', 'flights', '--key', 'id');
    dgitOk(dir, 'commit', '-m', 'all');
    const result = JSON.parse(dgitOk(dir, 'import', ten, '--table', 'flights', '--mode', 'upsert', '--json'));
    expect(result).toMatchObject({ updated: 10, inserted: 0, rows: ROWS });
    dgitOk(dir, 'commit', '-m', 'ten rows');
    const before = new Set(chunkIds(dir, 'HEAD~1', 'flights'));
    const after = chunkIds(dir, 'HEAD', 'flights');
    const fresh = after.filter((id) => !before.has(id));
    expect(before.size).toBeGreaterThan(20);
    expect(fresh.length).toBeGreaterThanOrEqual(1);
    expect(fresh.length).toBeLessThanOrEqual(12);
    expect(result.chunksWritten).toBe(fresh.length);
    expect(after.length - fresh.length).toBeGreaterThanOrEqual(before.size - 12);
  });

  it('appending 10 rows to the keyless original rewrites only a handful of chunks', () => {
    const dir = path.join(work, 'keyless-repo');
    dgitOk(work, 'init', 'keyless-repo');
    dgitOk(dir, 'import', keyless, '--table', 'flights');
    dgitOk(dir, 'commit', '-m', 'all');
    const result = JSON.parse(dgitOk(dir, 'import', tenKeyless, '--table', 'flights', '--mode', 'append', '--json'));
    expect(result).toMatchObject({ inserted: 10, rows: ROWS + 10 });
    dgitOk(dir, 'commit', '-m', 'ten rows');
    const before = new Set(chunkIds(dir, 'HEAD~1', 'flights'));
    const fresh = chunkIds(dir, 'HEAD', 'flights').filter((id) => !before.has(id));
    expect(fresh.length).toBeGreaterThanOrEqual(1);
    expect(fresh.length).toBeLessThanOrEqual(12);
  });

  it('the same final rows give the same tables/<t> tree id whatever the edit sequence', async () => {
    // A third of the rows, about 10 chunks: edits still cross chunk boundaries, and the six imports below cost a third.
    const some = path.join(work, 'some.parquet');
    const half = path.join(work, 'half.parquet');
    const rest = path.join(work, 'rest.parquet');
    const gone = path.join(work, 'gone.parquet');
    const wrong = path.join(work, 'wrong.parquet');
    await duck(`
      COPY (SELECT * FROM read_parquet('${keyed}') WHERE id <= ${ROWS / 3}) TO '${some}' (FORMAT parquet);
      COPY (SELECT * FROM read_parquet('${some}') WHERE id % 2 = 0) TO '${half}' (FORMAT parquet);
      COPY (SELECT * FROM read_parquet('${some}') WHERE id % 2 = 1) TO '${rest}' (FORMAT parquet);
      COPY (SELECT id FROM read_parquet('${some}') WHERE id % 1000 = 3) TO '${gone}' (FORMAT parquet);
      COPY (SELECT id, date, -1 AS delay, distance, origin, destination FROM read_parquet('${some}') WHERE id % 500 = 11) TO '${wrong}' (FORMAT parquet)`);
    // one bulk import
    const bulk = path.join(work, 'bulk-repo');
    dgitOk(work, 'init', 'bulk-repo');
    dgitOk(bulk, 'import', some, '--table', 'flights', '--key', 'id');
    dgitOk(bulk, 'commit', '-m', 'bulk');
    expect(chunkIds(bulk, 'HEAD', 'flights').length).toBeGreaterThan(6);
    // the odd rows first, then wrong values, then the even rows, deletes, and the right values again
    const steps = path.join(work, 'steps-repo');
    dgitOk(work, 'init', 'steps-repo');
    dgitOk(steps, 'import', rest, '--table', 'flights', '--key', 'id');
    dgitOk(steps, 'commit', '-m', 'odd rows');
    dgitOk(steps, 'import', wrong, '--table', 'flights', '--mode', 'upsert');
    dgitOk(steps, 'import', half, '--table', 'flights', '--mode', 'upsert');
    dgitOk(steps, 'import', gone, '--table', 'flights', '--mode', 'delete');
    dgitOk(steps, 'commit', '-m', 'more');
    dgitOk(steps, 'import', some, '--table', 'flights', '--mode', 'upsert');
    dgitOk(steps, 'commit', '-m', 'all rows right again');
    expect(gitOut(steps, 'rev-parse', 'HEAD:tables/flights')).toBe(gitOut(bulk, 'rev-parse', 'HEAD:tables/flights'));
  });
});
