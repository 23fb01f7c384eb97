import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEntries, branches, callFails, callOk, connectStdio, copyRepository, DOT_SEX_ID, git, penguinRepository, type Connected } from './support/mcp-fixture.js';

const SESSION = 'attacker';

function sexFix(id = DOT_SEX_ID, sex = 'MALE'): Record<string, unknown> {
  return { op: 'update', key: { id }, set: { Sex: sex }, reason: 'a dot is not a sex' };
}

/**
 * Every patch here tries to write where an agent may not: each must be refused,
 * and no branch but the agent's own sandbox may ever appear or move. One that
 * gets through fails the build.
 */
describe('propose_fix writes only to the agent sandbox, within the dgit.yml policy', () => {
  let dir: string;
  let agent: Connected;
  let before: Record<string, string>;

  beforeAll(async () => {
    dir = copyRepository(await penguinRepository());
    before = branches(dir);
    agent = await connectStdio(dir, '--allow-propose', '--session', SESSION);
  });
  afterAll(async () => {
    await agent?.close();
  });

  /** Nothing moved: the branches are those of the start, each at its commit. */
  function nothingWritten(): void {
    expect(branches(dir)).toEqual(before);
  }

  it('refuses a patch aimed at main, whatever the spelling', async () => {
    for (const branch of ['main', 'refs/heads/main', `heal/agent-${SESSION}/../../main`, `heal/agent-${SESSION}/x/../../../main`, 'heal/main', 'HEAD']) {
      const text = await callFails(agent.client, 'propose_fix', { branch, patch: { table: 'penguins', edits: [sexFix()] } });
      expect(text, branch).toContain('refused (INVALID_INPUT, sandbox)');
    }
    nothingWritten();
  });

  it("refuses another agent's branch, existing or not, and a sandbox whose name only starts like this one", async () => {
    for (const branch of ['heal/agent-other/1', 'heal/agent-other/2', `heal/agent-${SESSION}x/1`, `heal/agent-${SESSION}`, 'heal/agent-/1']) {
      const text = await callFails(agent.client, 'propose_fix', { branch, patch: { table: 'penguins', edits: [sexFix()] } });
      expect(text, branch).toContain('refused (INVALID_INPUT, sandbox)');
    }
    expect(await callFails(agent.client, 'request_review', { branch: 'heal/agent-other/1' })).toContain('refused (INVALID_INPUT, sandbox)');
    nothingWritten();
  });

  it('refuses a column the policy does not list, a table it does not list, and dgit own tables', async () => {
    const species = await callFails(agent.client, 'propose_fix', {
      patch: { table: 'penguins', edits: [{ op: 'update', key: { id: 1 }, set: { Species: 'Gentoo' }, reason: 'looks like a gentoo' }] },
    });
    expect(species).toContain('refused (INVALID_INPUT, policy)');
    expect(species).toContain('"Species"');
    const islands = await callFails(agent.client, 'propose_fix', {
      patch: { table: 'islands', edits: [{ op: 'update', key: { Island: 'Dream' }, set: { Country: 'Nowhere' }, reason: 'moved' }] },
    });
    expect(islands).toContain('refused (INVALID_INPUT, policy)');
    const memory = await callFails(agent.client, 'propose_fix', {
      patch: { table: '_dgit_incidents', edits: [{ op: 'delete', key: { id: 'x' }, reason: 'forget' }] },
    });
    expect(memory).toContain('refused (INVALID_INPUT, sandbox)');
    const config = await callFails(agent.client, 'propose_fix', { patch: { table: 'dgit.yml', edits: [{ op: 'upsert', row: { policy: 'none' }, reason: 'open up' }] } });
    expect(config).toContain('does not exist');
    nothingWritten();
  });

  it('refuses more rows than the policy allows, and removing rows when it forbids that', async () => {
    const fourRows = [4, 9, 10, 11].map((id) => sexFix(id, 'FEMALE'));
    const tooMany = await callFails(agent.client, 'propose_fix', { patch: { table: 'penguins', edits: fourRows } });
    expect(tooMany).toContain('refused (INVALID_INPUT, policy)');
    expect(tooMany).toContain('max_rows');
    const removal = await callFails(agent.client, 'propose_fix', { patch: { table: 'penguins', edits: [{ op: 'quarantine', key: { id: DOT_SEX_ID }, reason: 'unknown sex' }] } });
    expect(removal).toContain('refused (INVALID_INPUT, policy)');
    expect(removal).toContain('delete_rows');
    nothingWritten();
  });

  it("keeps the default branch's policy even on a revision whose dgit.yml is looser", async () => {
    const text = await callFails(agent.client, 'propose_fix', {
      rev: 'loose',
      patch: { table: 'penguins', edits: [{ op: 'update', key: { id: 1 }, set: { Species: 'Gentoo' }, reason: 'the loose policy allows it' }] },
    });
    expect(text).toContain('refused (INVALID_INPUT, policy)');
    expect(text).toContain('dgit.yml on main');
    nothingWritten();
  });

  it('refuses oversize patches before reading them', async () => {
    const edits = Array.from({ length: 1001 }, (_, i) => sexFix(i + 1));
    expect(await callFails(agent.client, 'propose_fix', { patch: { table: 'penguins', edits } })).toContain('refused (INVALID_INPUT, too-large)');
    const longReason = { ...sexFix(), reason: 'x'.repeat(1_500_000) };
    expect(await callFails(agent.client, 'propose_fix', { patch: { table: 'penguins', edits: [longReason] } })).toContain('refused (INVALID_INPUT, too-large)');
    nothingWritten();
  });

  it('refuses a patch that does not pass the checks, writing no branch', async () => {
    const text = await callFails(agent.client, 'propose_fix', { patch: { table: 'penguins', checks: ['penguins.Sex.accepted_values'], edits: [sexFix(DOT_SEX_ID, 'male?')] } });
    expect(text).toContain('error');
    nothingWritten();
  });

  it('never moves a branch that exists, even its own: a second proposal gets a new branch', async () => {
    const first = await callOk<{ branch: string; commit: string }>(agent.client, 'propose_fix', { branch: `heal/agent-${SESSION}/sex`, patch: { table: 'penguins', edits: [sexFix()] } });
    expect(first.branch).toBe(`heal/agent-${SESSION}/sex`);
    const again = await callFails(agent.client, 'propose_fix', { branch: `heal/agent-${SESSION}/sex`, patch: { table: 'penguins', edits: [sexFix(DOT_SEX_ID, 'FEMALE')] } });
    expect(again).toContain('already exists');
    const second = await callOk<{ branch: string }>(agent.client, 'propose_fix', { patch: { table: 'penguins', edits: [sexFix(DOT_SEX_ID, 'FEMALE')] } });
    expect(second.branch).toBe(`heal/agent-${SESSION}/1`);
    const after = branches(dir);
    expect(after[`heal/agent-${SESSION}/sex`]).toBe(first.commit);
    // Only the sandbox grew; every other branch is where it was.
    const grown = Object.keys(after).filter((name) => !(name in before));
    expect(grown.sort()).toEqual([`heal/agent-${SESSION}/1`, `heal/agent-${SESSION}/sex`]);
    for (const [name, commit] of Object.entries(before)) expect(after[name], name).toBe(commit);
    // dgit.yml on the proposal is main's, byte for byte.
    expect(git(dir, 'show', `heal/agent-${SESSION}/1:dgit.yml`)).toBe(git(dir, 'show', 'main:dgit.yml'));
  });

  it('logs every refusal with its reason', () => {
    const proposals = auditEntries(dir).filter((entry) => entry.kind === 'tool' && entry.name === 'propose_fix');
    const reasons = proposals.map((entry) => entry.reason ?? entry.outcome);
    expect(reasons.filter((r) => r === 'sandbox')).toHaveLength(12);
    expect(reasons.filter((r) => r === 'policy')).toHaveLength(5);
    expect(reasons.filter((r) => r === 'too-large')).toHaveLength(2);
    expect(reasons.filter((r) => r === 'ok')).toHaveLength(2);
  });
});
