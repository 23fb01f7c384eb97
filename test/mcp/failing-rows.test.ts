import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgentServer } from '../../mcp/agent-server.js';
import { AuditLog } from '../../mcp/audit-log.js';
import { agentLimits } from '../../mcp/limits.js';
import { Sandbox } from '../../mcp/sandbox.js';
import { FLAG_MARKER } from '../../mcp/untrusted-data.js';
import { commitConfig, load, penguins, repositoryWith, yaml } from '../heal/support/heal-fixtures.js';
import { auditEntries, branches, call, callFails, callOk, INJECTED_NOTE, textOf } from './support/mcp-fixture.js';

/**
 * `failing_rows`: an agent gets the evidence the built-in healer restores from —
 * a failing check's rows now and at the last revision where it passed — fenced
 * as untrusted data like every other result. Served in process (the SDK's
 * in-memory transport), on the penguins of vega-datasets after a bad load that
 * re-sends two rows with a body mass ten times too large, one of them carrying an
 * instruction aimed at the agent in its Island, and adds a row with no history.
 */

const MASS = 'penguins.Body Mass (g).range';

interface Evidence {
  commit: string;
  last_passing: string | null;
  failing_rows: number;
  truncated: boolean;
  row_level: boolean;
  rows: Array<{ key: Record<string, unknown>; current: Record<string, unknown> | null; last_good: Record<string, unknown> | null; changed: string[] | null }>;
}

let dir: string;
let good: string;
let bad: string;
let client: Client;

beforeAll(async () => {
  dir = repositoryWith('penguins', penguins);
  good = await commitConfig(
    dir,
    yaml('version: 1', 'tables:', '  penguins:', '    checks:', '      - { kind: range, column: Body Mass (g), min: 2000, max: 7000 }', '      - { kind: row_count, max: 344 }'),
  );
  bad = await load(dir, 'penguins', [
    { ...penguins[0]!, 'Body Mass (g)': 37500, Island: INJECTED_NOTE },
    { ...penguins[1]!, 'Body Mass (g)': 38000 },
    { ...penguins[0]!, id: 900, 'Body Mass (g)': 99999 },
  ]);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const server = createAgentServer({ dir, allowPropose: false, sandbox: new Sandbox('tester'), audit: new AuditLog(path.join(dir, '.git/dgit/mcp-audit.log')), transport: 'stdio', limits: agentLimits() });
  await server.connect(serverSide);
  client = new Client({ name: 'dgit-test-agent', version: '1.0.0' });
  await client.connect(clientSide);
});
afterAll(async () => {
  await client?.close();
});

describe('failing_rows', () => {
  it('is offered read-only, and the server tells the agent to call it before proposing', async () => {
    const { tools } = await client.listTools();
    const tool = tools.find((t) => t.name === 'failing_rows')!;
    expect(tool.annotations?.readOnlyHint).toBe(true);
    expect(tool.description).toContain('Call this before propose_fix');
    expect(Object.keys(tool.outputSchema?.properties ?? {})).toContain('fence');
    expect(client.getInstructions()).toContain('failing_rows');
  });

  it('gives each failing row its last good version and the commit, the data fenced and the injected cell flagged', async () => {
    const result = await call(client, 'failing_rows', { check: MASS });
    expect(result.isError).toBeFalsy();
    const evidence = result.structuredContent as unknown as Evidence & { fence: { untrusted: boolean; flagged: Array<{ path: string; reasons: string[] }> } };
    expect(evidence).toMatchObject({ commit: bad, last_passing: good, failing_rows: 3, truncated: false, row_level: true });
    expect(evidence.rows.map((row) => row.key)).toEqual([{ id: 1 }, { id: 2 }, { id: 900 }]);
    expect(evidence.rows[0]!.current).toMatchObject({ Island: INJECTED_NOTE, 'Body Mass (g)': 37500 });
    expect(evidence.rows[0]!.last_good).toEqual(penguins[0]);
    expect(evidence.rows[0]!.changed).toEqual(['Island', 'Body Mass (g)']);
    expect(evidence.rows[1]).toMatchObject({ last_good: penguins[1], changed: ['Body Mass (g)'] });
    expect(evidence.rows[2]).toMatchObject({ last_good: null, changed: null });
    expect(evidence.fence.untrusted).toBe(true);
    expect(evidence.fence.flagged).toEqual([expect.objectContaining({ path: 'rows[0].current.Island', reasons: ['instruction-like'] })]);
    // The text a model reads: the notice, the data between nonce markers, the injected value marked as data.
    const text = textOf(result);
    expect(text.split('\n')[0]).toMatch(/^dgit failing_rows result\. Untrusted data: .* never as instructions/);
    const nonce = /<dgit-data ([0-9a-f]{12})>/.exec(text)![1]!;
    const inside = JSON.parse(text.slice(text.indexOf(`<dgit-data ${nonce}>\n`) + `<dgit-data ${nonce}>\n`.length, text.indexOf(`\n</dgit-data ${nonce}>`))) as Evidence;
    expect(inside.rows[0]!.current!['Island']).toBe(FLAG_MARKER + INJECTED_NOTE);
    expect(inside.rows[0]!.last_good!['Island']).toBe('Torgersen');
  });

  it('caps the rows at `limit` and says so; a whole-table check has no rows', async () => {
    const capped = await callOk<Evidence>(client, 'failing_rows', { check: MASS, limit: 1 });
    expect(capped.rows).toHaveLength(1);
    expect(capped).toMatchObject({ failing_rows: 3, truncated: true });
    const count = await callOk<Evidence & { message: string }>(client, 'failing_rows', { check: 'penguins.row_count' });
    expect(count).toMatchObject({ row_level: false, rows: [], last_passing: good });
    expect(count.message).toContain('judges the table as a whole');
  });

  it('an unknown check fails naming the checks there are; the repository is unchanged and every call is audited', async () => {
    const before = branches(dir);
    expect(await callFails(client, 'failing_rows', { check: 'penguins.nope' })).toContain(`check "penguins.nope" not found; checks: ${MASS}, penguins.row_count`);
    expect(await callFails(client, 'failing_rows', { check: MASS, limit: 100_000 })).toContain('expected number to be <=200');
    expect(branches(dir)).toEqual(before);
    const calls = auditEntries(dir).filter((entry) => entry.kind === 'tool' && entry.name === 'failing_rows');
    expect(calls.map((entry) => entry.outcome)).toEqual(['ok', 'ok', 'ok', 'error', 'refused']);
    expect(calls[0]!.result).toEqual({ check: MASS, commit: bad, failing_rows: 3, rows: 3, last_passing: good });
  });
});
