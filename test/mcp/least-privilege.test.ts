import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEntries, branches, call, callFails, callOk, connectStdio, copyRepository, DOT_SEX_ID, penguinRepository, textOf, type Connected } from './support/mcp-fixture.js';
import { tempDir } from '../support/cli.js';

const FIX = { table: 'penguins', edits: [{ op: 'update', key: { id: DOT_SEX_ID }, set: { Sex: 'MALE' }, reason: 'a dot is not a sex' }] };

describe('least privilege: without --allow-propose the server is read-only', () => {
  let dir: string;
  let agent: Connected;

  beforeAll(async () => {
    dir = copyRepository(await penguinRepository());
    agent = await connectStdio(dir);
  });
  afterAll(async () => {
    await agent?.close();
  });

  it('leaves every writing tool out of the tool list, not just refused', async () => {
    const { tools } = await agent.client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(['list_tables', 'describe_table', 'query', 'diff', 'run_checks', 'failing_rows', 'list_incidents', 'get_incident']);
    expect(tools.every((tool) => tool.annotations?.readOnlyHint === true)).toBe(true);
    expect(agent.client.getInstructions()).toContain('read-only');
  });

  it('refuses a call to a writing tool anyway, writes nothing, and logs the refusal', async () => {
    const before = branches(dir);
    const text = await callFails(agent.client, 'propose_fix', { patch: FIX });
    expect(text).toContain('refused');
    expect(text).toContain('--allow-propose');
    expect(await callFails(agent.client, 'request_review', { branch: 'heal/agent-x/1' })).toContain('not offered');
    expect(await callFails(agent.client, 'merge', { branch: 'heal/agent-other/1' })).toContain('there is no tool "merge"');
    expect(branches(dir)).toEqual(before);
    expect(fs.existsSync(path.join(dir, '.git/dgit/reviews'))).toBe(false);
    const refused = auditEntries(dir).filter((entry) => entry.kind === 'tool');
    expect(refused.map((entry) => [entry.name, entry.outcome, entry.reason])).toEqual([
      ['propose_fix', 'refused', 'not-offered'],
      ['request_review', 'refused', 'not-offered'],
      ['merge', 'refused', 'not-offered'],
    ]);
    expect(refused[0]!.arguments).toEqual({ patch: FIX });
  });

  it('refuses arguments that do not fit the schema (an unknown field, a wrong type) and logs them', async () => {
    const text = await callFails(agent.client, 'query', { sql: 'SELECT 1', target: 'main' });
    expect(text).toContain('unknown field "target"');
    expect(await callFails(agent.client, 'diff', { to: 42 })).toContain('refused');
    const last = auditEntries(dir).filter((entry) => entry.kind === 'tool').slice(-2);
    expect(last.map((entry) => [entry.name, entry.outcome, entry.reason])).toEqual([
      ['query', 'refused', 'invalid-arguments'],
      ['diff', 'refused', 'invalid-arguments'],
    ]);
  });

  it('still reads: a query works', async () => {
    const result = await callOk<{ rows: unknown[] }>(agent.client, 'query', { sql: 'SELECT count(*) AS n FROM islands' });
    expect(result.rows).toEqual([{ n: 3 }]);
  });

  it('writes the audit log where --audit says, as JSON lines', async () => {
    const auditDir = tempDir('dgit-mcp-audit-');
    const file = path.join(auditDir, 'agents.log');
    const other = await connectStdio(dir, '--audit', file, '--session', 'audited');
    try {
      textOf(await call(other.client, 'list_tables'));
    } finally {
      await other.close();
    }
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { kind: string; name: string; session: string; outcome: string });
    expect(lines.map((line) => [line.kind, line.name, line.session, line.outcome])).toEqual([
      ['session', 'start', 'audited', 'ok'],
      ['tool', 'list_tables', 'audited', 'ok'],
      ['session', 'end', 'audited', 'ok'],
    ]);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });
});
