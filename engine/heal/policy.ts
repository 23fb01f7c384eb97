import type { LoadedConfig } from '../config/config-file.js';
import { DgitError } from '../errors/index.js';
import { rowsChanged, type TableChange } from './patch-resolution.js';

/** What a proposal changes in one table, as the policy judges it. */
export interface ChangeExtent {
  table: string;
  /** Rows changed: updated, inserted, deleted or moved to quarantine, each once. */
  rows: number;
  /** Columns whose cells are written, each with the first edit that writes it (for messages). */
  columns: Map<string, string>;
  /** Rows removed (deleted or quarantined), and the first edit that removes one. */
  removals: { count: number; first?: string };
}

/** The extent of a resolved patch. */
export function changeExtent(change: TableChange): ChangeExtent {
  const columns = new Map<string, string>();
  let removals = 0;
  let first: string | undefined;
  for (const edit of change.edits) {
    for (const column of edit.columns) if (!columns.has(column)) columns.set(column, edit.where);
    if (edit.op === 'delete' || edit.op === 'quarantine') {
      removals++;
      first ??= edit.where;
    }
  }
  return { table: change.table, rows: rowsChanged(change), columns, removals: { count: removals, first } };
}

/** A proposal that goes beyond what dgit.yml's policy lets the healer change. */
export class PolicyViolationError extends DgitError {
  constructor(readonly violations: string[], where = 'dgit.yml policy') {
    super('INVALID_INPUT', `the policy in dgit.yml forbids this change: ${violations.join('; ')}`, where);
    this.name = 'PolicyViolationError';
  }
}

/**
 * The ways a proposal breaks the policy of dgit.yml (empty when it keeps to it). A
 * table not listed under `policy.tables` is off limits, so a dgit.yml without a
 * policy lets the healer change nothing. The quarantine table `<t>__quarantine`
 * and the incident table come with a table's changes and need no entry of their own.
 */
export function policyViolations(config: LoadedConfig | undefined, extents: readonly ChangeExtent[], options: { rowCaps?: boolean } = {}): string[] {
  // A proposal marked for review is judged by a person: the row caps bound what may land unreviewed.
  const rowCaps = options.rowCaps ?? true;
  const policy = config?.config.policy;
  const changed = extents.filter((extent) => extent.rows > 0);
  if (changed.length === 0) return [];
  if (!policy) return [`dgit.yml has no policy, so the healer may change no table (list ${changed[0]!.table} under policy.tables to allow it)`];
  const violations: string[] = [];
  let total = 0;
  for (const extent of changed) {
    total += extent.rows;
    const rule = policy.tables[extent.table];
    if (!rule) {
      violations.push(`table ${extent.table} is not listed under policy.tables, so the healer may not change it`);
      continue;
    }
    if (rule.columns) {
      for (const [column, where] of extent.columns) {
        if (!rule.columns.includes(column))
          violations.push(`${where} writes column ${JSON.stringify(column)} of ${extent.table}, which policy.tables.${extent.table}.columns does not list (allowed: ${rule.columns.join(', ')})`);
      }
    }
    if (!rule.delete_rows && extent.removals.count > 0)
      violations.push(`${extent.removals.first ?? 'the proposal'} removes a row of ${extent.table} (${extent.removals.count} in all), but policy.tables.${extent.table}.delete_rows is false`);
    if (rowCaps && rule.max_rows !== undefined && extent.rows > rule.max_rows)
      violations.push(`the proposal changes ${extent.rows} rows of ${extent.table}, more than policy.tables.${extent.table}.max_rows (${rule.max_rows})`);
  }
  if (rowCaps && total > policy.max_rows_per_proposal) violations.push(`the proposal changes ${total} rows, more than policy.max_rows_per_proposal (${policy.max_rows_per_proposal})`);
  return violations;
}
