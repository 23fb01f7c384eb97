import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEntries, branches, callOk, connectStdio, copyRepository, DOT_SEX_ID, git, penguinRepository, textOf, call, type Connected } from './support/mcp-fixture.js';

interface Row {
  [column: string]: unknown;
}

describe('an agent over stdio, through the SDK client', () => {
  let dir: string;
  let agent: Connected;

  beforeAll(async () => {
    dir = copyRepository(await penguinRepository());
    agent = await connectStdio(dir, '--allow-propose', '--session', 'tester');
  });
  afterAll(async () => {
    await agent?.close();
  });

  it('lists every tool, each with an input schema and an output schema that includes the fence', async () => {
    const { tools } = await agent.client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(['list_tables', 'describe_table', 'query', 'diff', 'run_checks', 'failing_rows', 'list_incidents', 'get_incident', 'propose_fix', 'request_review']);
    for (const tool of tools) {
      expect(tool.inputSchema.type).toBe('object');
      expect(tool.outputSchema?.type).toBe('object');
      expect(Object.keys(tool.outputSchema?.properties ?? {})).toContain('fence');
      expect(tool.annotations?.readOnlyHint).toBe(!['propose_fix', 'request_review'].includes(tool.name));
    }
    const query = tools.find((tool) => tool.name === 'query')!;
    expect(query.inputSchema.required).toEqual(['sql']);
    expect(query.inputSchema.additionalProperties).toBe(false);
  });

  it('lists tables and describes one with its key, checks and the policy that bounds proposals', async () => {
    const listed = await callOk<{ tables: Array<{ table: string; rows: number; key: string[] }> }>(agent.client, 'list_tables');
    expect(listed.tables.map((t) => [t.table, t.rows, t.key])).toEqual([
      ['islands', 3, ['Island']],
      ['penguins', 344, ['id']],
    ]);
    const described = await callOk<{ key: string[]; checks: Array<{ id: string; kind: string }>; policy: { editable: boolean; columns: string[] | null; max_rows: number } }>(
      agent.client,
      'describe_table',
      { table: 'penguins' },
    );
    expect(described.key).toEqual(['id']);
    expect(described.checks.map((c) => c.id)).toEqual(['penguins.Sex.accepted_values', 'penguins.Note.pattern']);
    expect(described.policy).toMatchObject({ editable: true, columns: ['Sex'], max_rows: 3, delete_rows: false });
  });

  it('queries with read-only SQL at a revision and returns rows as structured content', async () => {
    const result = await callOk<{ columns: Array<{ name: string }>; rows: Row[]; row_count: number; truncated: boolean }>(agent.client, 'query', {
      sql: 'SELECT "Sex", count(*) AS n FROM penguins GROUP BY ALL ORDER BY "Sex" NULLS FIRST',
    });
    expect(result.columns.map((c) => c.name)).toEqual(['Sex', 'n']);
    expect(result.rows).toEqual([
      { Sex: null, n: 10 },
      { Sex: '.', n: 1 },
      { Sex: 'FEMALE', n: 165 },
      { Sex: 'MALE', n: 168 },
    ]);
    expect(result.truncated).toBe(false);
    const capped = await callOk<{ rows: Row[]; truncated: boolean }>(agent.client, 'query', { sql: 'SELECT id FROM penguins', max_rows: 5, rev: 'main' });
    expect(capped.rows).toEqual([1, 2, 3, 4, 5].map((id) => ({ id })));
    expect(capped.truncated).toBe(true);
  });

  it('runs the checks: the accepted_values check fails on the row whose Sex is "."', async () => {
    const report = await callOk<{ passed: boolean; results: Array<{ check: string; passed: boolean; failing_rows: number; sample: Array<{ key: Row; value: unknown }> }> }>(
      agent.client,
      'run_checks',
    );
    expect(report.passed).toBe(false);
    const sex = report.results.find((r) => r.check === 'penguins.Sex.accepted_values')!;
    expect(sex).toMatchObject({ passed: false, failing_rows: 1, sample: [{ key: { id: DOT_SEX_ID }, value: '.' }] });
  });

  it('proposes a fix that passes the checks: a commit on heal/agent-tester/1, which git log shows, main untouched', async () => {
    const before = branches(dir);
    const proposal = await callOk<{ status: string; branch: string; commit: string; base: string; fixed: string[]; sandbox: string; incident: string }>(agent.client, 'propose_fix', {
      patch: {
        table: 'penguins',
        checks: ['penguins.Sex.accepted_values'],
        edits: [{ op: 'update', key: { id: DOT_SEX_ID }, set: { Sex: 'FEMALE' }, reason: 'a dot is not a sex; body mass and beak depth match the females of Biscoe' }],
      },
    });
    expect(proposal).toMatchObject({ status: 'proposed', branch: 'heal/agent-tester/1', base: before['main'], fixed: ['penguins.Sex.accepted_values'], sandbox: 'heal/agent-tester/' });

    const log = git(dir, 'log', '--format=%H %an%n%B', 'heal/agent-tester/1');
    expect(log.startsWith(`${proposal.commit} agent tester (dgit mcp)`)).toBe(true);
    expect(log).toContain('heal: penguins.Sex.accepted_values by agent');
    expect(log).toContain(`update {"id":${DOT_SEX_ID}}: a dot is not a sex`);
    expect(git(dir, 'rev-parse', 'heal/agent-tester/1^').trim()).toBe(before['main']);
    const after = branches(dir);
    expect(after).toEqual({ ...before, 'heal/agent-tester/1': proposal.commit });

    // The diff shows the one cell, and the checks pass on the branch.
    const diff = await callOk<{ tables: Array<{ table: string; rows: Array<{ status: string; key: Row; before: Row; after: Row; changed: string[] }>; summary: Row }> }>(agent.client, 'diff', {
      from: 'main',
      to: proposal.branch,
      table: 'penguins',
    });
    expect(diff.tables).toHaveLength(1);
    expect(diff.tables[0]!.summary).toEqual({ added: 0, deleted: 0, modified: 1 });
    expect(diff.tables[0]!.rows[0]).toMatchObject({ status: 'modified', key: { id: DOT_SEX_ID }, before: { Sex: '.' }, after: { Sex: 'FEMALE' }, changed: ['Sex'] });
    const recheck = await callOk<{ results: Array<{ check: string; passed: boolean }> }>(agent.client, 'run_checks', { rev: proposal.branch, checks: ['penguins.Sex.accepted_values'] });
    expect(recheck.results).toEqual([expect.objectContaining({ check: 'penguins.Sex.accepted_values', passed: true })]);

    // The same patch again reports the first proposal instead of a second branch.
    const again = await callOk<{ status: string; branch: string }>(agent.client, 'propose_fix', {
      patch: {
        table: 'penguins',
        checks: ['penguins.Sex.accepted_values'],
        edits: [{ op: 'update', key: { id: DOT_SEX_ID }, set: { Sex: 'FEMALE' }, reason: 'a dot is not a sex; body mass and beak depth match the females of Biscoe' }],
      },
    });
    expect(again).toMatchObject({ status: 'existing', branch: 'heal/agent-tester/1' });
    expect(branches(dir)).toEqual(after);

    // The incident memory remembers it, and request_review leaves a note and queues nothing.
    const incidents = await callOk<{ incidents: Array<{ id: string; fix_branch: string; outcome: string; strategy: string }> }>(agent.client, 'list_incidents', { check: 'penguins.Sex.accepted_values' });
    expect(incidents.incidents).toEqual([expect.objectContaining({ id: proposal.incident, fix_branch: 'heal/agent-tester/1', outcome: 'proposed', strategy: 'agent' })]);
    const incident = await callOk<{ incident: { id: string; sample: unknown[] }; history: Array<{ check: string }> }>(agent.client, 'get_incident', { id: proposal.incident });
    expect(incident.incident.sample).toEqual([{ key: { id: DOT_SEX_ID }, value: '.' }]);
    expect(incident.history.map((h) => h.check)).toEqual(['penguins.Sex.accepted_values']);

    const review = await callOk<{ status: string; commit: string; file: string }>(agent.client, 'request_review', { branch: proposal.branch, summary: 'one cell: "." becomes FEMALE' });
    expect(review).toMatchObject({ status: 'requested', commit: proposal.commit, file: 'dgit/reviews/heal/agent-tester/1.json' });
    const note = JSON.parse(fs.readFileSync(path.join(dir, '.git', review.file), 'utf8')) as Row;
    expect(note).toMatchObject({ branch: 'heal/agent-tester/1', commit: proposal.commit, base: before['main'], session: 'tester', incident: proposal.incident, summary: 'one cell: "." becomes FEMALE' });
    expect((await callOk<{ status: string }>(agent.client, 'request_review', { branch: proposal.branch })).status).toBe('existing');
    expect(branches(dir)).toEqual(after);
  });

  it('offers dgit.yml and the incident history as resources', async () => {
    const { resources } = await agent.client.listResources();
    expect(resources.map((r) => r.uri)).toEqual(['dgit://config', 'dgit://incidents']);
    const config = await agent.client.readResource({ uri: 'dgit://config' });
    expect(config.contents[0]).toMatchObject({ mimeType: 'application/yaml', _meta: { 'dgit/untrusted': true } });
    expect((config.contents[0] as { text: string }).text).toContain('max_rows_per_proposal: 3');
    const history = await agent.client.readResource({ uri: 'dgit://incidents' });
    const document = JSON.parse((history.contents[0] as { text: string }).text) as { fence: { untrusted: boolean }; incidents: Array<{ fix_branch: string }> };
    expect(document.fence.untrusted).toBe(true);
    expect(document.incidents.map((i) => i.fix_branch)).toContain('heal/agent-tester/1');
  });

  it('logs every call to the audit file: tool, arguments, outcome and time', async () => {
    await call(agent.client, 'describe_table', { table: 'no_such_table' });
    const entries = auditEntries(dir);
    expect(entries[0]).toMatchObject({ kind: 'session', name: 'start', session: 'tester', transport: 'stdio', client: { name: 'dgit-test-agent' } });
    const tools = entries.filter((e) => e.kind === 'tool');
    expect(tools.map((e) => e.name)).toEqual([
      'list_tables',
      'describe_table',
      'query',
      'query',
      'run_checks',
      'propose_fix',
      'diff',
      'run_checks',
      'propose_fix',
      'list_incidents',
      'get_incident',
      'request_review',
      'request_review',
      'describe_table',
    ]);
    for (const entry of entries) {
      expect(Number.isNaN(Date.parse(entry.time))).toBe(false);
      expect(entry.duration_ms).toBeGreaterThanOrEqual(0);
    }
    expect(tools[5]).toMatchObject({ outcome: 'ok', arguments: { patch: { table: 'penguins' } }, result: { branch: 'heal/agent-tester/1', status: 'proposed' } });
    expect(tools.at(-1)).toMatchObject({ outcome: 'error', code: 'NOT_FOUND', arguments: { table: 'no_such_table' } });
    expect(entries.filter((e) => e.kind === 'resource').map((e) => e.name)).toEqual(['dgit://config', 'dgit://incidents']);
    expect(textOf(await call(agent.client, 'list_tables'))).toContain('Untrusted data');
  });
});
