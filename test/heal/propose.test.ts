import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { propose } from '../../engine/heal/index.js';
import { listIncidents } from '../../engine/incidents/index.js';
import { Repository } from '../../engine/repository/repository.js';
import { DgitError } from '../../engine/errors/index.js';
import { repositorySnapshot, ROOT, tempDir, writeFile } from '../support/cli.js';
import { commitConfig, healCli, healCliOk, penguins, repositoryWith, run, yaml } from './support/heal-fixtures.js';

/**
 * `dgit propose --patch FILE`: an outside agent's patch goes the healer's way
 * (policy, apply, re-check, heal branch, incident with strategy `agent`), and any
 * bad patch is refused with a clear error and nothing written.
 */

const CONFIG = yaml(
  'version: 1',
  'tables:',
  '  penguins:',
  '    checks:',
  '      - { kind: not_null, column: Sex }',
  '      - { kind: accepted_values, column: Sex, values: [MALE, FEMALE] }',
  'policy:',
  '  tables:',
  '    penguins: { columns: [Sex], max_rows: 12 }',
);
const NULL_SEX = [4, 9, 10, 11, 12, 48, 247, 287, 325, 340];

let template: string;
beforeAll(async () => {
  template = repositoryWith('penguins', penguins);
  await commitConfig(template, CONFIG);
});

/** A fresh copy of the repository, and a patch file beside it. */
function setup(patch: string | object, name = 'fix.json'): { dir: string; file: string } {
  const dir = path.join(tempDir('dgit-propose-'), 'repo');
  fs.cpSync(template, dir, { recursive: true });
  const file = writeFile(path.dirname(dir), name, typeof patch === 'string' ? patch : JSON.stringify(patch));
  return { dir, file };
}

const quarantineDot = { op: 'quarantine', key: { id: 337 }, reason: 'Sex "." is a missing value written as a dot' };

describe('a good patch', () => {
  it('becomes a heal branch with the incident recorded as the agent\'s', async () => {
    const { dir } = setup({ table: 'penguins', edits: [quarantineDot] });
    const file = path.join(ROOT, 'fixtures/heal/penguins-sex.patch.json');
    const result = JSON.parse(healCliOk(dir, 'propose', '--patch', file, '--json'));
    expect(result).toMatchObject({ status: 'proposed', strategy: 'agent', rows_changed: 1, fixed: ['penguins.Sex.accepted_values'], table: 'penguins' });
    expect(result.branch).toBe(`heal/${result.incident}`);
    expect(result.incident).toMatch(/^agent-penguins-[0-9a-f]{10}$/);
    expect(run(dir, 'sql', 'SELECT id, _dgit_reason FROM penguins__quarantine', '--rev', result.branch, '--json')).toContain('a missing value written as a dot');
    const [incident] = await listIncidents(await Repository.open(dir));
    expect(incident).toMatchObject({ id: result.incident, strategy: 'agent', outcome: 'proposed', check: 'penguins.Sex.accepted_values', fix_branch: result.branch, failing_count: 1 });
    // Proposed again: the same proposal is reported, nothing new is written.
    const snapshot = repositorySnapshot(dir);
    expect(healCliOk(dir, 'propose', '--patch', file)).toContain(`Already proposed on ${result.branch}`);
    expect(repositorySnapshot(dir)).toBe(snapshot);
  });

  it('in NDJSON on a named branch; the checks it fixes are found by the re-check', async () => {
    const lines = NULL_SEX.map((id) => JSON.stringify({ table: 'penguins', op: 'update', key: { id }, set: { Sex: id % 2 ? 'MALE' : 'FEMALE' }, reason: `sexed from the field notes of bird ${id}` }));
    const { dir, file } = setup(lines.join('\n') + '\n', 'fix.ndjson');
    const before = run(dir, 'log', '--json');
    const output = healCliOk(dir, 'propose', '--patch', file, '--branch', 'heal/field-notes');
    expect(output).toMatch(/^Proposed heal\/field-notes \(incident agent-penguins-[0-9a-f]{10}, strategy agent\): 10 rows of penguins changed \(10 updated\)\./);
    expect(output).toContain('Fixes: penguins.Sex.not_null; breaks no check.');
    expect(output).toContain('Review: dgit diff main heal/field-notes');
    expect(run(dir, 'log', '--json')).toBe(before);
    const incidents = await listIncidents(await Repository.open(dir));
    expect(incidents[0]).toMatchObject({ check: 'penguins.Sex.not_null', fix_branch: 'heal/field-notes', rows_changed: 10 });
  });

  it('fixes a known incident the healer could not: the incident gets the agent\'s branch', async () => {
    const dir = repositoryWith('penguins', penguins);
    await commitConfig(dir, CONFIG.replace('max_rows: 12', 'max_rows: 12, delete_rows: false'));
    const healed = JSON.parse(healCli(dir, 'heal', '--json', '--check', 'penguins.Sex.accepted_values').stdout);
    const id = healed.incidents[0].incident as string;
    expect(healed.incidents[0].status).toBe('failed');
    const repository = await Repository.open(dir);
    const result = await propose(repository, { table: 'penguins', incident: id, edits: [{ op: 'update', key: { id: 337 }, set: { Sex: 'FEMALE' }, reason: 'the dot was a smudged F' }] });
    expect(result).toMatchObject({ incident: id, branch: `heal/${id}`, fixed: ['penguins.Sex.accepted_values'] });
    expect((await listIncidents(repository)).find((i) => i.id === id)).toMatchObject({ outcome: 'proposed', strategy: 'agent', first_seen: healed.revision });
  });
});

describe('a bad patch: a clear error and nothing written', () => {
  const cases: Array<[string, string | object, RegExp, number?]> = [
    ['malformed JSON', '{"table": "penguins", "edits": [', /^dgit: error: not valid JSON: Unexpected end of JSON input at line 1, column 33 \(.*fix\.json\)$/m],
    ['an edit lacking a reason', { table: 'penguins', edits: [quarantineDot, { op: 'delete', key: { id: 4 } }] }, /edit 2 \(edits\[1\]\): reason: every edit needs a reason/],
    ['an unknown table', { table: 'pinguins', edits: [quarantineDot] }, /table "pinguins" does not exist at main \(tables: penguins\)/],
    ['an unknown column', { table: 'penguins', edits: [{ op: 'update', key: { id: 4 }, set: { Gender: 'MALE' }, reason: 'x' }] }, /edit 1 \(edits\[0\]\): column "Gender" is not in table penguins/],
    ['a value of the wrong type', { table: 'penguins', edits: [{ op: 'update', key: { id: 4 }, set: { Sex: 1 }, reason: 'x' }] }, /edit 1 \(edits\[0\]\): column "Sex": value 1 does not fit type Utf8/],
    ['a key with no row', { table: 'penguins', edits: [{ op: 'delete', key: { id: 9999 }, reason: 'x' }] }, /edit 1 \(edits\[0\]\): no row of penguins has the key \{"id":9999\}/],
    ['two edits of one row', { table: 'penguins', edits: [quarantineDot, { ...quarantineDot, op: 'delete' }] }, /edit 2 \(edits\[1\]\): edit 1 \(edits\[0\]\) already changes the row of key \{"id":337\}/],
    ['a forbidden column', { table: 'penguins', edits: [{ op: 'update', key: { id: 4 }, set: { Island: 'Dream' }, reason: 'x' }] }, /edit 1 \(edits\[0\]\) writes column "Island" of penguins, which policy\.tables\.penguins\.columns does not list \(allowed: Sex\)/],
    ['a forbidden table', { table: 'penguins__quarantine', edits: [quarantineDot] }, /table "penguins__quarantine" does not exist|not listed under policy\.tables/],
    [
      'more rows than max_rows',
      { table: 'penguins', edits: Array.from({ length: 13 }, (_, i) => ({ op: 'update', key: { id: i + 1 }, set: { Sex: 'male' }, reason: 'x' })) },
      /the proposal changes 13 rows of penguins, more than policy\.tables\.penguins\.max_rows \(12\)/,
    ],
    ['a patch that does not fix the check it names', { table: 'penguins', checks: ['penguins.Sex.not_null'], edits: [quarantineDot] }, /the patch is not offered: penguins\.Sex\.not_null still fails/],
    ['a check dgit.yml does not have', { table: 'penguins', checks: ['penguins.Sex.unique'], edits: [quarantineDot] }, /check "penguins\.Sex\.unique" is not in dgit\.yml at main/],
  ];
  // Through the CLI for a few (exit status, stderr), through the library for the rest: the same code path.
  const throughCli = new Set(['malformed JSON', 'a forbidden column', 'a patch that does not fix the check it names']);
  for (const [what, patch, message] of cases) {
    it(what, async () => {
      const { dir, file } = setup(patch);
      const before = repositorySnapshot(dir);
      if (throughCli.has(what)) {
        const result = healCli(dir, 'propose', '--patch', file);
        expect(result.code).toBe(1);
        expect(result.stderr).toMatch(message);
        expect(result.stdout).toBe('');
      } else {
        const text = typeof patch === 'string' ? patch : JSON.stringify(patch);
        const error = await propose(await Repository.open(dir), text, { source: 'fix.json' }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(DgitError);
        expect((error as DgitError).code).toBe('INVALID_INPUT');
        expect(`${(error as DgitError).message} (${(error as DgitError).where})`).toMatch(message);
      }
      // A patch refused by the re-check leaves only unreachable objects: no ref, no state.
      const refsAndState = (snapshot: string) => snapshot.split('\n').filter((line) => !line.startsWith('objects')).join('\n');
      if (what.startsWith('a patch that does not fix')) expect(refsAndState(repositorySnapshot(dir))).toBe(refsAndState(before));
      else expect(repositorySnapshot(dir)).toBe(before);
    });
  }

  it('a branch outside heal/ is a usage error', () => {
    const { dir, file } = setup({ table: 'penguins', edits: [quarantineDot] });
    const before = repositorySnapshot(dir);
    const result = healCli(dir, 'propose', '--patch', file, '--branch', 'main');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`a proposal's branch must be under heal/`);
    expect(repositorySnapshot(dir)).toBe(before);
  });

  it('a patch file that does not exist', () => {
    const { dir } = setup({ table: 'penguins', edits: [quarantineDot] });
    const result = healCli(dir, 'propose', '--patch', 'nowhere.json');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('dgit: error: patch file "nowhere.json" not found\n');
  });
});
