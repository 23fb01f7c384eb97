import { describe, expect, it } from 'vitest';
import { diffTables } from '../../engine/diff/index.js';
import { mergeTables } from '../../engine/merge/index.js';
import { valuesEqual, type Row } from '../../engine/value/value.js';
import { applyEdits, makeTable, MemoryChunkStore, schemaOf } from '../diff/in-memory-table.js';

/** A small deterministic generator, so a failing seed can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

const t = schemaOf(
  [
    ['id', 'Int32'],
    ['a', 'Int32'],
    ['b', 'Int32'],
  ],
  ['id'],
);

function mutate(rows: Map<number, Row>, next: () => number): Map<number, Row> {
  const out = new Map<number, Row>();
  for (const [id, row] of rows) {
    const roll = next();
    if (roll < 0.1) continue;
    if (roll < 0.3) out.set(id, [id, next() < 0.5 ? row[1]! : Math.floor(next() * 3), next() < 0.5 ? row[2]! : Math.floor(next() * 3)]);
    else out.set(id, row);
  }
  for (let i = 0; i < 4; i++) {
    const id = 1 + Math.floor(next() * 60);
    if (!rows.has(id) && next() < 0.5) out.set(id, [id, Math.floor(next() * 2), Math.floor(next() * 2)]);
  }
  return out;
}

/** Dolt's cell-level rules on plain maps, the reference the chunked merge must match. */
function referenceMerge(base: Map<number, Row>, ours: Map<number, Row>, theirs: Map<number, Row>) {
  const merged = new Map(ours);
  const conflicts: number[] = [];
  const ids = new Set([...base.keys(), ...ours.keys(), ...theirs.keys()]);
  const same = (x: Row | undefined, y: Row | undefined) => (!x || !y ? x === y : x.every((v, i) => valuesEqual(v, y[i]!)));
  for (const id of [...ids].sort((x, y) => x - y)) {
    const b = base.get(id);
    const o = ours.get(id);
    const th = theirs.get(id);
    if (same(o, th) || same(b, th)) continue;
    if (same(b, o)) {
      if (th) merged.set(id, th);
      else merged.delete(id);
      continue;
    }
    if (!o || !th || !b) {
      conflicts.push(id);
      continue;
    }
    const row: Row = [];
    let clash = false;
    for (let i = 0; i < 3; i++) {
      if (valuesEqual(o[i]!, th[i]!) || valuesEqual(b[i]!, th[i]!)) row.push(o[i]!);
      else if (valuesEqual(b[i]!, o[i]!)) row.push(th[i]!);
      else clash = true;
    }
    if (clash) conflicts.push(id);
    else merged.set(id, row);
  }
  return { merged: [...merged.values()].sort((x, y) => (x[0] as number) - (y[0] as number)), conflicts };
}

describe('chunked diff and merge match a plain in-memory reference', () => {
  it('over 300 random edit histories with different chunk boundaries on every side', async () => {
    for (let seed = 1; seed <= 300; seed++) {
      const next = random(seed);
      const base = new Map<number, Row>();
      for (let id = 1; id <= 40; id++) if (next() < 0.7) base.set(id, [id, Math.floor(next() * 3), Math.floor(next() * 3)]);
      const ours = mutate(base, next);
      const theirs = mutate(base, next);
      const store = new MemoryChunkStore();
      const size = () => 1 + Math.floor(next() * 6);
      const baseVersion = makeTable(store, t, [...base.values()], size());
      const oursVersion = makeTable(store, t, [...ours.values()], size());
      const theirsVersion = makeTable(store, t, [...theirs.values()], size());

      // Diff: every changed id exactly once, in key order.
      const diff = await diffTables(baseVersion, oursVersion, store, { pairKeyChanges: false });
      const seen: number[] = [];
      for await (const change of diff.rows) seen.push(change.key[0] as number);
      const expected = [...new Set([...base.keys(), ...ours.keys()])]
        .filter((id) => {
          const x = base.get(id);
          const y = ours.get(id);
          return !x || !y || !x.every((v, i) => valuesEqual(v, y[i]!));
        })
        .sort((x, y) => x - y);
      expect(seen, `diff, seed ${seed}`).toEqual(expected);

      const reference = referenceMerge(base, ours, theirs);
      const result = await mergeTables(baseVersion, oursVersion, theirsVersion, store);
      expect(result.conflicts.map((c) => c.key[0]), `conflicts, seed ${seed}`).toEqual(reference.conflicts);
      expect(await applyEdits(store, oursVersion, result.schema!, result.edits), `merged rows, seed ${seed}`).toEqual(reference.merged);
    }
  });

  it('keyless: diff and merge by per-row counts (bag conflicts included) over 300 seeded random bags with duplicates across chunk boundaries', async () => {
    const bag = schemaOf(
      [
        ['city', 'Utf8'],
        ['n', 'Int32'],
      ],
      [],
    );
    const values: Row[] = ['a', 'b', 'c', 'd'].flatMap((city) => [0, 1].map((n) => [city, n] as Row));
    const keyOfRow = (row: Row) => `${String(row[0])}:${String(row[1])}`;
    const expand = (counts: number[]) => counts.flatMap((count, i) => Array.from({ length: count }, () => values[i]!));
    for (let seed = 1; seed <= 300; seed++) {
      const next = random(seed * 7919);
      const base = values.map(() => Math.floor(next() * 4));
      const change = (counts: number[]) => counts.map((c) => Math.max(0, c + (next() < 0.4 ? Math.floor(next() * 5) - 2 : 0)));
      const ours = change(base);
      const theirs = change(base);
      const store = new MemoryChunkStore();
      const size = () => 1 + Math.floor(next() * 4);
      const [b, o, th] = [base, ours, theirs].map((counts) => makeTable(store, bag, expand(counts), size()));

      const diff = await diffTables(b, o, store);
      const net = new Map<string, number>();
      for await (const c of diff.rows) net.set(keyOfRow(c.key), (net.get(keyOfRow(c.key)) ?? 0) + (c.status === 'added' ? 1 : -1));
      values.forEach((row, i) => expect(net.get(keyOfRow(row)) ?? 0, `diff, seed ${seed}`).toBe(ours[i]! - base[i]!));

      // The reference rule (README, "Keyless tables"): each distinct row merges its own three counts.
      const expectedConflicts: Array<{ row: Row; counts: { base: number; ours: number; theirs: number } }> = [];
      const merged = base.map((count, i) => {
        const [x, y] = [ours[i]!, theirs[i]!];
        if (x === count) return y;
        if (y === count || x === y) return x;
        expectedConflicts.push({ row: values[i]!, counts: { base: count, ours: x, theirs: y } });
        return x; // a conflict keeps ours
      });
      const result = await mergeTables(b, o, th, store);
      expect(
        result.conflicts.map((c) => ({ kind: c.kind, row: c.key, counts: c.counts })),
        `conflicts, seed ${seed}`,
      ).toEqual(expectedConflicts.map((c) => ({ kind: 'bag', ...c })));
      expect(await applyEdits(store, o, result.schema!, result.edits), `merge, seed ${seed}`).toEqual(expand(merged));
    }
  });
});
