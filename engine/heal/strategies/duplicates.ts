import { keyColumnNames } from '../../schema/schema.js';
import { quoteIdentifier } from '../../sql/sql-text.js';
import { quarantineTableName } from '../quarantine.js';
import type { PatchEdit } from '../patch.js';
import { loadOrder } from '../history.js';
import type { FailingRow, StepOutcome, StrategyContext } from './strategy-context.js';
import { keyText, valueText } from './strategy-context.js';

/**
 * Strategies for a failing unique check. dgit keeps primary keys unique itself, so
 * the duplicates a check finds share a natural key (the checked columns) under
 * different primary keys, or are copies of one row in a keyless table.
 *
 * drop-duplicates: of rows equal in every column but the primary key, keep the
 * first (by key) and delete the others: nothing is lost.
 * keep-first / keep-newest: of rows that share the checked value but differ
 * elsewhere, keep one — the first by key, or the one with the greatest value of a
 * column (`keep-newest`, e.g. an updated_at) — and move the others to quarantine,
 * where they can still be read, rather than delete them.
 */

/** The full rows of every duplicated group, in (checked value, key) order, read once per check. */
async function duplicateRows(context: StrategyContext): Promise<Array<Record<string, unknown>>> {
  const check = context.check;
  if (check.kind !== 'unique') return [];
  return context.memo('duplicate-rows', async () => {
    const list = check.columns.map(quoteIdentifier).join(', ');
    const present = check.columns.map((c) => `${quoteIdentifier(c)} IS NOT NULL`).join(' AND ');
    const join = check.columns.map((c) => `t.${quoteIdentifier(c)} = d.${quoteIdentifier(c)}`).join(' AND ');
    const keys = keyColumnNames(context.schema);
    const order = [...check.columns, ...(keys.length > 0 ? keys : context.schema.columns.map((c) => c.name))].map((c) => `t.${quoteIdentifier(c)} NULLS FIRST`).join(', ');
    return context.jsonRows(
      `FROM ${quoteIdentifier(check.table)} AS t SEMI JOIN (SELECT ${list} FROM ${quoteIdentifier(check.table)} WHERE ${present} GROUP BY ${list} HAVING count(*) > 1) AS d ON ${join}`,
      order,
    );
  });
}

/** The failing rows with their full rows, grouped by the checked value, groups and rows in order. */
async function groups(context: StrategyContext, failing: FailingRow[]): Promise<Array<Array<{ failing: FailingRow; row: Record<string, unknown> }>>> {
  const check = context.check as Extract<typeof context.check, { kind: 'unique' }>;
  // Rows by key (a keyless table's copies share a key: take them in turn).
  const byKey = new Map<string, Array<Record<string, unknown>>>();
  for (const row of await duplicateRows(context)) {
    const key = keyText(context.keyOf(row));
    byKey.set(key, [...(byKey.get(key) ?? []), row]);
  }
  const grouped = new Map<string, Array<{ failing: FailingRow; row: Record<string, unknown> }>>();
  for (const entry of failing) {
    const copies = byKey.get(keyText(entry.key));
    const row = copies?.shift();
    if (!row) continue;
    const value = JSON.stringify(check.columns.map((c) => row[c]));
    grouped.set(value, [...(grouped.get(value) ?? []), { failing: entry, row }]);
  }
  return [...grouped.values()];
}

export async function dropDuplicates(context: StrategyContext, failing: FailingRow[]): Promise<StepOutcome> {
  const check = context.check;
  if (check.kind !== 'unique') return { notApplicable: 'drop-duplicates fixes unique checks only' };
  const keys = new Set(keyColumnNames(context.schema));
  const edits: PatchEdit[] = [];
  const remaining: FailingRow[] = [];
  for (const group of await groups(context, failing)) {
    const kept: Array<{ failing: FailingRow; row: Record<string, unknown> }> = [];
    const firstOf = new Map<string, Record<string, unknown>>();
    for (const member of group) {
      const rest = JSON.stringify(Object.entries(member.row).filter(([name]) => !keys.has(name)));
      const first = firstOf.get(rest);
      if (!first) {
        firstOf.set(rest, member.failing.key);
        kept.push(member);
      } else {
        edits.push({
          op: 'delete',
          key: member.failing.key,
          reason:
            keys.size > 0
              ? `exact duplicate of the row ${keyText(first)}: every column but the key is equal (${check.id})`
              : `another copy of the same row; one copy is kept (${check.id})`,
        });
      }
    }
    if (kept.length > 1) remaining.push(...kept.map((member) => member.failing));
  }
  return { edits, remaining };
}

/**
 * keep-latest-load (late corrections): of rows sharing the checked value but
 * differing elsewhere, keep the one the latest load brought in (dgit knows, from
 * the history, which commit brought each row as it is now) and delete the others,
 * each listed as superseded. Rows that arrived in the same commit cannot be told
 * apart this way: an import keeps no line order (rows are stored by key, and a
 * file with one primary key twice is refused), so such a group is left to the
 * next step, and the reason says to declare `keep: newest` with `by: <column>`.
 */
export async function keepLatestLoad(context: StrategyContext, failing: FailingRow[]): Promise<StepOutcome> {
  const check = context.check;
  if (check.kind !== 'unique') return { notApplicable: 'keep-latest-load fixes unique checks only' };
  const grouped = await groups(context, failing);
  const order = await loadOrder(context.repository, context.base.commit, check.table, grouped.flat().map((member) => member.failing.key));
  const edits: PatchEdit[] = [];
  const remaining: FailingRow[] = [];
  for (const group of grouped) {
    if (group.length < 2) continue;
    const depthOf = (member: (typeof group)[number]) => order.get(JSON.stringify(member.failing.key))?.depth ?? Infinity;
    const newest = Math.min(...group.map(depthOf));
    const latest = group.filter((member) => depthOf(member) === newest);
    if (latest.length > 1) {
      remaining.push(...group.map((member) => member.failing));
      continue;
    }
    const survivor = latest[0]!;
    const by = order.get(JSON.stringify(survivor.failing.key))!.commit.slice(0, 12);
    for (const member of group) {
      if (member === survivor) continue;
      const from = order.get(JSON.stringify(member.failing.key))?.commit.slice(0, 12) ?? 'an older load';
      edits.push({
        op: 'delete',
        key: member.failing.key,
        reason: `superseded: shares ${check.columns.join(', ')} ${valueText(member.failing.value)} with the row ${keyText(survivor.failing.key)} of a later load (${by}); this row came with ${from} (${check.id})`,
      });
    }
  }
  return { edits, remaining };
}

export async function keepOne(context: StrategyContext, failing: FailingRow[], rule: 'first' | { newest: string }): Promise<StepOutcome> {
  const check = context.check;
  if (check.kind !== 'unique') return { notApplicable: 'keep-first and keep-newest fix unique checks only' };
  if (typeof rule === 'object' && !context.schema.columns.some((c) => c.name === rule.newest))
    return { notApplicable: `keep-newest needs column ${JSON.stringify(rule.newest)}, which ${check.table} does not have` };
  const target = quarantineTableName(check.table);
  const edits: PatchEdit[] = [];
  for (const group of await groups(context, failing)) {
    if (group.length < 2) continue;
    let survivor = group[0]!;
    if (typeof rule === 'object') for (const member of group) if (compareJson(member.row[rule.newest], survivor.row[rule.newest]) > 0) survivor = member;
    const why = typeof rule === 'object' ? `the newest by ${rule.newest} (${valueText(survivor.row[rule.newest])})` : 'the first by key';
    for (const member of group) {
      if (member === survivor) continue;
      edits.push({
        op: 'quarantine',
        key: member.failing.key,
        reason: `shares ${check.columns.join(', ')} ${valueText(member.failing.value)} with the row ${keyText(survivor.failing.key)}, which is kept as ${why}; moved to ${target} (${check.id})`,
      });
    }
  }
  return { edits, remaining: [] };
}

/** Order of two JSON values of one column: null lowest, numbers (and integer text) by value, other text by code point. */
function compareJson(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  const integer = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) ? BigInt(v) : typeof v === 'string' && /^-?\d+$/.test(v) ? BigInt(v) : undefined);
  const x = integer(a);
  const y = integer(b);
  if (x !== undefined && y !== undefined) return x < y ? -1 : x > y ? 1 : 0;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const s = String(a);
  const t = String(b);
  return s < t ? -1 : s > t ? 1 : 0;
}
