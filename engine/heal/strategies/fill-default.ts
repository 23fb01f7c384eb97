import { isNumericType } from '../../config/config-literal.js';
import type { ConfigLiteral } from '../../config/configured-check.js';
import type { ColumnType } from '../../schema/types.js';
import type { FailingRow, StepOutcome, StrategyContext } from './strategy-context.js';
import { valueText } from './strategy-context.js';

/**
 * fill-default (not_null): put the value dgit.yml declares under
 * `tables.<t>.defaults.<column>` into every null of the column. Without a declared
 * default it does not apply: the healer never invents a value.
 */
export async function fillDefault(context: StrategyContext, failing: FailingRow[]): Promise<StepOutcome> {
  const { check } = context;
  if (check.kind !== 'not_null') return { notApplicable: 'fill-default fixes not_null checks only' };
  const declared = context.base.config?.config.tables[check.table]?.defaults?.[check.column];
  if (declared === undefined) return { notApplicable: `dgit.yml declares no default for ${check.table}.${check.column} (tables.${check.table}.defaults.${check.column})` };
  const column = context.schema.columns.find((c) => c.name === check.column)!;
  const value = defaultJson(declared, column.type);
  return {
    edits: failing.map((row) => ({
      op: 'update' as const,
      key: row.key,
      set: { [check.column]: value },
      reason: `${check.column} is null; fill in the default ${valueText(value)} declared in dgit.yml (${check.id})`,
    })),
    remaining: [],
  };
}

/** A dgit.yml literal in the JSON form of the column's type (validation has already checked that it fits). */
function defaultJson(literal: ConfigLiteral, type: ColumnType): unknown {
  if (type === 'Utf8') return String(literal);
  if (typeof literal === 'string' && isNumericType(type) && !/^U?Int64$/.test(type)) {
    const number = Number(literal.trim());
    return Number.isFinite(number) ? number : literal;
  }
  return literal;
}
