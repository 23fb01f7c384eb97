import { quoteIdentifier, quoteString } from '../../sql/sql-text.js';
import type { PatchEdit } from '../patch.js';
import type { FailingRow, StepOutcome, StrategyContext } from './strategy-context.js';
import { valueText } from './strategy-context.js';

/**
 * normalize-text (accepted_values, pattern, foreign_key on text columns): fix the
 * text a careless load breaks — stray spaces around or inside a value, another
 * case — but only into a value the check accepts: an accepted value, a value the
 * pattern matches, a key the referenced table has. A value that would match two
 * accepted values ignoring case is left alone (ambiguous), as is everything else:
 * it stays failing for the next step of the plan (usually quarantine).
 */
export async function normalizeText(context: StrategyContext, failing: FailingRow[]): Promise<StepOutcome> {
  const { check } = context;
  if (check.kind !== 'accepted_values' && check.kind !== 'pattern' && check.kind !== 'foreign_key')
    return { notApplicable: 'normalize-text fixes accepted_values, pattern and foreign_key checks' };
  const columns = check.kind === 'foreign_key' ? check.columns : [check.column];
  if (columns.length !== 1) return { notApplicable: 'normalize-text fixes single-column foreign keys only' };
  const column = columns[0]!;
  if (context.schema.columns.find((c) => c.name === column)?.type !== 'Utf8') return { notApplicable: `normalize-text fixes text columns; ${column} is not text` };

  let fixes: Map<string, string>;
  if (check.kind === 'accepted_values') fixes = acceptedFixes(failing, check.values.map(String), check.caseSensitive);
  else if (check.kind === 'pattern') fixes = await patternFixes(context, failing, check.pattern, check.caseSensitive);
  else fixes = await referenceFixes(context, failing, check.references.table, check.references.columns[0]!);

  const edits: PatchEdit[] = [];
  const remaining: FailingRow[] = [];
  for (const row of failing) {
    const fixed = typeof row.value === 'string' ? fixes.get(row.value) : undefined;
    if (fixed === undefined || fixed === row.value) remaining.push(row);
    else
      edits.push({
        op: 'update',
        key: row.key,
        set: { [column]: fixed },
        reason: `${column} ${valueText(row.value)} is ${describeChange(row.value as string, fixed)} of ${valueText(fixed)}, which ${check.id} accepts`,
      });
  }
  return { edits, remaining };
}

/** Trim, and fold runs of white space (including non-breaking spaces) into one space. */
export function collapseWhitespace(text: string): string {
  return text.replace(/[\s\u00a0\u2000-\u200b\u3000]+/g, ' ').trim();
}

function describeChange(from: string, to: string): string {
  const spaced = collapseWhitespace(from) !== from;
  const cased = collapseWhitespace(from) !== to;
  if (spaced && cased) return 'a padded, differently cased spelling';
  if (spaced) return 'a padded spelling';
  return 'a differently cased spelling';
}

/** Failing text → the accepted value it stands for. */
function acceptedFixes(failing: FailingRow[], accepted: string[], caseSensitive: boolean): Map<string, string> {
  const fixes = new Map<string, string>();
  for (const row of failing) {
    if (typeof row.value !== 'string' || fixes.has(row.value)) continue;
    const fixed = matchOne(collapseWhitespace(row.value), accepted, caseSensitive);
    if (fixed !== undefined) fixes.set(row.value, fixed);
  }
  return fixes;
}

/** The one candidate `text` stands for: itself, else the only one equal ignoring case (a case-insensitive check keeps the text's own case). */
function matchOne(text: string, candidates: readonly string[], caseSensitive: boolean): string | undefined {
  if (candidates.includes(text)) return text;
  const folded = candidates.filter((candidate) => candidate.toLowerCase() === text.toLowerCase());
  if (folded.length === 0) return undefined;
  if (!caseSensitive) return text;
  return folded.length === 1 ? folded[0] : undefined;
}

/**
 * Failing text → its first normalised form the pattern matches (asked of DuckDB,
 * whose RE2 runs the check): trimmed, white space collapsed, then those in upper
 * and in lower case (" sfo " matches ^[A-Z]{3}$ as "SFO").
 */
async function patternFixes(context: StrategyContext, failing: FailingRow[], pattern: string, caseSensitive: boolean): Promise<Map<string, string>> {
  const candidates: Array<[string, string]> = [];
  const seen = new Set<string>();
  for (const row of failing) {
    if (typeof row.value !== 'string' || seen.has(row.value)) continue;
    seen.add(row.value);
    const trimmed = row.value.trim();
    const collapsed = collapseWhitespace(row.value);
    const forms = [trimmed, collapsed, collapsed.toUpperCase(), collapsed.toLowerCase()];
    for (const fixed of new Set(forms)) if (fixed !== row.value) candidates.push([row.value, fixed]);
  }
  if (candidates.length === 0) return new Map();
  const session = await context.session();
  const fixes = new Map<string, string>();
  for (let start = 0; start < candidates.length; start += 1000) {
    const batch = candidates.slice(start, start + 1000);
    const values = batch.map(([, fixed], index) => `(${index}, ${quoteString(fixed)})`).join(', ');
    const rows = await session.rows(
      `SELECT i, regexp_matches(x, ${quoteString(pattern)}${caseSensitive ? '' : `, 'i'`}) AS ok FROM (VALUES ${values}) AS v(i, x) ORDER BY i`,
    );
    // Candidates are in order of preference: the first form that matches wins.
    for (const row of rows) {
      const [original, fixed] = batch[Number(row['i'])]!;
      if (row['ok'] === true && !fixes.has(original)) fixes.set(original, fixed);
    }
  }
  return fixes;
}

/** Failing text → the referenced key it stands for (the same after folding white space, else the only one equal ignoring case). */
async function referenceFixes(context: StrategyContext, failing: FailingRow[], table: string, column: string): Promise<Map<string, string>> {
  const wanted = [...new Set(failing.map((row) => row.value).filter((value): value is string => typeof value === 'string'))];
  if (wanted.length === 0) return new Map();
  const session = await context.session();
  const folded = (sql: string) => `lower(trim(regexp_replace(${sql}, '\\s+', ' ', 'g')))`;
  const byFold = new Map<string, string[]>();
  for (let start = 0; start < wanted.length; start += 1000) {
    const list = wanted
      .slice(start, start + 1000)
      .map((value) => quoteString(collapseWhitespace(value).toLowerCase()))
      .join(', ');
    const rows = await session.rows(
      `SELECT DISTINCT r.${quoteIdentifier(column)} AS target, ${folded(`r.${quoteIdentifier(column)}`)} AS fold FROM ${quoteIdentifier(table)} AS r WHERE ${folded(`r.${quoteIdentifier(column)}`)} IN (${list})`,
    );
    for (const row of rows) {
      const fold = String(row['fold']);
      byFold.set(fold, [...(byFold.get(fold) ?? []), String(row['target'])]);
    }
  }
  const fixes = new Map<string, string>();
  for (const value of wanted) {
    const fixed = matchOne(collapseWhitespace(value), byFold.get(collapseWhitespace(value).toLowerCase()) ?? [], true);
    if (fixed !== undefined) fixes.set(value, fixed);
  }
  return fixes;
}
