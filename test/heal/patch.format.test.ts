import { describe, expect, it } from 'vitest';
import { canonicalPatchText, parsePatch, PatchError } from '../../engine/heal/patch.js';

/** The fix patch format itself: JSON and NDJSON, validated by zod, errors naming the line or the edit. */

function problem(text: string): string {
  try {
    parsePatch(text, 'fix.json');
  } catch (error) {
    expect(error).toBeInstanceOf(PatchError);
    return (error as PatchError).message;
  }
  throw new Error('the patch was accepted');
}

describe('the JSON form', () => {
  it('reads a table, its incident and checks, and edits of every op', () => {
    const parsed = parsePatch(
      JSON.stringify({
        table: 'penguins',
        incident: 'penguins.Sex.not_null-0123456789',
        checks: ['penguins.Sex.not_null'],
        edits: [
          { op: 'update', key: { id: 4 }, set: { Sex: 'FEMALE' }, reason: 'field notes' },
          { op: 'upsert', row: { id: 999, Sex: 'MALE' }, reason: 'missing bird' },
          { op: 'delete', key: { id: 5 }, reason: 'counted twice' },
          { op: 'quarantine', key: { id: 337 }, reason: '"." is not a sex' },
        ],
      }),
    );
    expect(parsed.format).toBe('json');
    expect(parsed.patch.edits.map((e) => e.op)).toEqual(['update', 'upsert', 'delete', 'quarantine']);
    expect(parsed.locations[2]).toBe('edit 3 (edits[2])');
  });

  it('names the line and column of a JSON syntax error', () => {
    expect(problem('{\n  "table": "t",\n  "edits": [ }\n')).toMatch(/^not valid JSON: .*line 3/);
  });

  it('refuses an edit without a reason, or with an empty one, naming the edit', () => {
    expect(problem(JSON.stringify({ table: 't', edits: [{ op: 'delete', key: { id: 1 }, reason: 'x' }, { op: 'delete', key: { id: 2 } }] }))).toBe(
      'edit 2 (edits[1]): reason: every edit needs a reason: a non-empty text saying why',
    );
    expect(problem(JSON.stringify({ table: 't', edits: [{ op: 'delete', key: { id: 2 }, reason: '   ' }] }))).toMatch(/^edit 1 \(edits\[0\]\): reason: every edit needs a reason/);
  });

  it('refuses an unknown op, an unknown field, an update that sets nothing, and a patch with no edits', () => {
    expect(problem(JSON.stringify({ table: 't', edits: [{ op: 'drop', key: { id: 1 }, reason: 'x' }] }))).toMatch(/^edit 1 \(edits\[0\]\): .*op must be one of upsert, update, delete, quarantine/);
    expect(problem(JSON.stringify({ table: 't', edits: [{ op: 'delete', key: { id: 1 }, reason: 'x', why: 'y' }] }))).toBe('edit 1 (edits[0]): unknown field "why"');
    expect(problem(JSON.stringify({ table: 't', edits: [{ op: 'update', key: { id: 1 }, set: {}, reason: 'x' }] }))).toBe('edit 1 (edits[0]): set: set names no column');
    expect(problem(JSON.stringify({ table: 't', edits: [] }))).toBe('edits: the patch has no edits');
    expect(problem(JSON.stringify({ edits: [{ op: 'delete', key: { id: 1 }, reason: 'x' }] }))).toMatch(/^table: /);
  });
});

describe('the NDJSON form', () => {
  const line = (edit: Record<string, unknown>) => JSON.stringify({ table: 'penguins', ...edit });

  it('reads one edit a line, each carrying the table; blank lines are skipped', () => {
    const parsed = parsePatch([line({ op: 'quarantine', key: { id: 337 }, reason: 'a' }), '', line({ op: 'delete', key: { id: 4 }, reason: 'b' })].join('\n'));
    expect(parsed.format).toBe('ndjson');
    expect(parsed.patch).toEqual({
      table: 'penguins',
      edits: [
        { op: 'quarantine', key: { id: 337 }, reason: 'a' },
        { op: 'delete', key: { id: 4 }, reason: 'b' },
      ],
    });
    expect(parsed.locations).toEqual(['line 1', 'line 3']);
    expect(parsePatch(line({ op: 'delete', key: { id: 4 }, reason: 'b' })).format).toBe('ndjson');
  });

  it('names the line of a bad edit: bad JSON, a missing reason, another table', () => {
    const good = line({ op: 'delete', key: { id: 1 }, reason: 'x' });
    expect(problem([good, '{"table": "penguins", "op": "delete",'].join('\n'))).toMatch(/^line 2: not valid JSON/);
    expect(problem([good, line({ op: 'delete', key: { id: 2 } })].join('\n'))).toBe('line 2: reason: every edit needs a reason: a non-empty text saying why');
    expect(problem([good, JSON.stringify({ table: 'movies', op: 'delete', key: { id: 2 }, reason: 'x' })].join('\n'))).toBe(
      'line 2: a patch changes one table; line 1 says "penguins", this line "movies"',
    );
    expect(problem([good, JSON.stringify({ op: 'delete', key: { id: 2 }, reason: 'x' })].join('\n'))).toMatch(/^line 2: table: /);
  });

  it('gives equal patches equal canonical text, whatever their key order or form', () => {
    const json = parsePatch(JSON.stringify({ table: 'penguins', edits: [{ reason: 'x', key: { id: 1 }, op: 'delete' }] }));
    const lines = parsePatch(line({ op: 'delete', key: { id: 1 }, reason: 'x' }));
    expect(canonicalPatchText(json.patch)).toBe(canonicalPatchText(lines.patch));
  });
});

it('refuses an empty patch', () => {
  expect(problem('\n\n')).toBe('the patch is empty');
});
