import { quarantineTableName } from '../quarantine.js';
import type { FailingRow, StepOutcome, StrategyContext } from './strategy-context.js';
import { valueText } from './strategy-context.js';

/** The row checks whose failures name rows a quarantine can move. */
const QUARANTINABLE = new Set(['not_null', 'accepted_values', 'range', 'pattern', 'foreign_key']);

/**
 * quarantine: move each failing row into `<table>__quarantine`, with the reason, so
 * the table passes and nothing is lost: the rows wait there for a person (or an
 * agent) to fix and put back. Needs `delete_rows` in the policy.
 */
export async function quarantine(context: StrategyContext, failing: FailingRow[]): Promise<StepOutcome> {
  const { check } = context;
  if (!QUARANTINABLE.has(check.kind)) return { notApplicable: `quarantine does not apply to ${check.kind} checks` };
  const target = quarantineTableName(check.table);
  return {
    edits: failing.map((row) => ({ op: 'quarantine' as const, key: row.key, reason: `${failureText(context, row)}; moved to ${target} (${check.id})` })),
    remaining: [],
  };
}

/** What is wrong with a failing row, in words. */
export function failureText(context: StrategyContext, row: FailingRow): string {
  const check = context.check;
  switch (check.kind) {
    case 'not_null':
      return `${check.column} is null`;
    case 'accepted_values':
      return `${check.column} ${valueText(row.value)} is not one of the accepted values`;
    case 'range':
      return `${check.column} ${valueText(row.value)} is out of range`;
    case 'pattern':
      return `${check.column} ${valueText(row.value)} does not match /${check.pattern}/`;
    case 'foreign_key':
      return `${check.columns.join(', ')} ${valueText(row.value)} is not found in ${check.references.table}`;
    default:
      return `the row fails ${check.id}`;
  }
}
