import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repositorySnapshot, tempDir } from '../support/cli.js';
import { auditEntries, callFails, callOk, connectStdio, copyRepository, penguinRepository, type Connected } from './support/mcp-fixture.js';

const QUERY_TIMEOUT_SECONDS = 2;

/**
 * Every query here is an attack: each must come back as an error, leave the
 * repository exactly as it was, touch no file outside it, and be in the audit
 * log. One that gets through fails the build.
 */
describe('query runs one read-only SELECT: attacks through SQL are stopped', () => {
  let dir: string;
  let agent: Connected;
  let snapshot: string;
  let outside: string;
  let audit: string;

  beforeAll(async () => {
    dir = copyRepository(await penguinRepository());
    outside = tempDir('dgit-mcp-outside-');
    fs.writeFileSync(path.join(outside, 'secret.csv'), 'token\nhunter2\n');
    snapshot = repositorySnapshot(dir);
    // The audit log goes outside, so the repository stays byte for byte as it was.
    audit = path.join(outside, 'audit.log');
    agent = await connectStdio(dir, '--allow-propose', '--query-timeout', String(QUERY_TIMEOUT_SECONDS), '--audit', audit);
  });
  afterAll(async () => {
    await agent?.close();
    // Nothing any attack did reached the repository.
    expect(repositorySnapshot(dir)).toBe(snapshot);
  });

  async function refused(sql: string): Promise<string> {
    const text = await callFails(agent.client, 'query', { sql });
    expect(text).not.toContain('hunter2');
    expect(text).not.toMatch(/root:x:0:0/);
    return text;
  }

  it('cannot read a file', async () => {
    const secret = path.join(outside, 'secret.csv');
    for (const sql of [
      `SELECT * FROM read_csv('${secret}')`,
      `SELECT * FROM '${secret}'`,
      `SELECT content FROM read_text('/etc/passwd')`,
      `SELECT * FROM read_blob('${secret}')`,
      `SELECT * FROM glob('${outside}/*')`,
      `SELECT * FROM read_parquet('${path.join(dir, '.git/objects/**')}')`,
      `SELECT * FROM read_json('https://example.com/x.json')`,
      `WITH s AS (SELECT * FROM read_csv_auto('${secret}')) SELECT * FROM s`,
    ]) {
      const text = await refused(sql);
      expect(text, sql).toMatch(/refused \(INVALID_INPUT, external-access\)|refused \(INVALID_INPUT, read-only\)/);
    }
  });

  it('cannot attach a database, load an extension or reach one through query()', async () => {
    const attached = path.join(outside, 'attached.db');
    expect(await refused(`ATTACH '${attached}' AS other`)).toContain('read-only');
    expect(await refused(`SELECT * FROM query('ATTACH ''${attached}'' AS other')`)).toContain('error');
    expect(await refused('INSTALL httpfs')).toContain('read-only');
    expect(await refused('LOAD httpfs')).toContain('read-only');
    expect(fs.existsSync(attached)).toBe(false);
  });

  it('cannot write a table or a file', async () => {
    const exported = path.join(outside, 'out.csv');
    for (const sql of [
      'CREATE TABLE stolen AS SELECT * FROM penguins',
      `INSERT INTO penguins (id) VALUES (9999)`,
      `UPDATE penguins SET "Sex" = 'MALE'`,
      'DELETE FROM penguins',
      'DROP VIEW penguins',
      `WITH x AS (SELECT 1) INSERT INTO penguins (id) SELECT 9999`,
      `COPY (SELECT * FROM penguins) TO '${exported}'`,
      `EXPORT DATABASE '${outside}'`,
      'CREATE MACRO m(x) AS x + 1',
      `SELECT 1; DELETE FROM penguins`,
    ]) {
      expect(await refused(sql), sql).toContain('refused');
    }
    expect(fs.existsSync(exported)).toBe(false);
    expect(fs.readdirSync(outside).sort()).toEqual(['audit.log', 'secret.csv']);
    const count = await callOk<{ rows: unknown[] }>(agent.client, 'query', { sql: 'SELECT count(*) AS n FROM penguins' });
    expect(count.rows).toEqual([{ n: 344 }]);
  });

  it('cannot change a setting', async () => {
    for (const sql of [
      'SET enable_external_access = true',
      "SET memory_limit = '64GB'",
      'RESET lock_configuration',
      "PRAGMA memory_limit = '64GB'",
      "CALL pragma_version()",
      "SELECT 1; SET enable_external_access = true",
      "SELECT * FROM query('SET enable_external_access = true')",
    ]) {
      expect(await refused(sql), sql).toMatch(/refused|error/);
    }
    const settings = await callOk<{ rows: Array<{ name: string; value: string }> }>(agent.client, 'query', {
      sql: "SELECT name, value FROM duckdb_settings() WHERE name IN ('enable_external_access', 'lock_configuration', 'memory_limit') ORDER BY name",
    });
    expect(settings.rows).toEqual([
      { name: 'enable_external_access', value: 'false' },
      { name: 'lock_configuration', value: 'true' },
      { name: 'memory_limit', value: expect.stringMatching(/^2\d\d\.\d MiB$/) },
    ]);
  });

  it('stops a query that would run for ever at the time cap, and keeps serving', async () => {
    for (const sql of [
      'SELECT count(*) FROM range(10000000000000)',
      'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r',
    ]) {
      const started = Date.now();
      const text = await refused(sql);
      const elapsed = Date.now() - started;
      expect(text).toContain('refused (INVALID_INPUT, timeout)');
      expect(elapsed).toBeGreaterThanOrEqual(QUERY_TIMEOUT_SECONDS * 1000 - 100);
      expect(elapsed).toBeLessThan(QUERY_TIMEOUT_SECONDS * 1000 + 4000);
    }
    const after = await callOk<{ rows: unknown[] }>(agent.client, 'query', { sql: 'SELECT 1 AS one' });
    expect(after.rows).toEqual([{ one: 1 }]);
  });

  it('refuses oversize requests: huge SQL text, too many rows asked', async () => {
    const long = `SELECT 1 AS x${' '.repeat(30_000)}`;
    expect(await refused(long)).toContain('refused (INVALID_INPUT, too-large)');
    const huge = `SELECT '${'x'.repeat(2 * 1024 * 1024)}' AS x`;
    expect(await refused(huge)).toContain('refused (INVALID_INPUT, too-large)');
    expect(await callFails(agent.client, 'query', { sql: 'SELECT 1', max_rows: 1_000_000 })).toContain('too-large');
    // A result is capped in rows and in bytes, and long cells are cut.
    const wide = await callOk<{ rows: Array<{ x: string }>; truncated: boolean; fence: { flagged_count: number } }>(agent.client, 'query', {
      sql: "SELECT repeat('y', 100000) AS x FROM range(1000)",
      max_rows: 1000,
    });
    expect(wide.truncated).toBe(true);
    expect(wide.rows.length).toBeLessThan(1000);
    expect(wide.rows.every((row) => row.x.length === 1000)).toBe(true);
    expect(JSON.stringify(wide).length).toBeLessThan(1024 * 1024);
  });

  it('reads nothing from the environment', async () => {
    expect(await refused(`SELECT getenv('HOME') AS home`)).toContain('error');
    expect(await refused(`SELECT * FROM duckdb_extensions()`)).toContain('external-access');
  });

  it('logs every attack in the audit file as refused or failed', () => {
    const queries = auditEntries(audit).filter((entry) => entry.kind === 'tool' && entry.name === 'query');
    const bad = queries.filter((entry) => entry.outcome !== 'ok');
    expect(bad.length).toBeGreaterThanOrEqual(30);
    expect(bad.filter((entry) => entry.reason === 'timeout')).toHaveLength(2);
    const oversize = bad.find((entry) => entry.reason === 'too-large' && JSON.stringify(entry.arguments).includes('characters in all'));
    expect(oversize).toBeDefined();
    expect(JSON.stringify(oversize!.arguments).length).toBeLessThan(10_000);
  });
});
