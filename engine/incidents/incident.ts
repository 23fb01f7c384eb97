import { z } from 'zod';
import { CorruptError } from '../errors/index.js';
import { createTableSchema, type TableSchema } from '../schema/schema.js';
import type { ColumnType } from '../schema/types.js';
import { fromJsonValue, toJsonValue, type Row, type Value } from '../value/value.js';

/**
 * An incident: a check that failed at a revision, and what was done about it. Kept
 * as rows of the dgit table `_dgit_incidents` (see incident-table.ts), so the
 * memory of what failed and what fixed it travels with the data.
 */

/** The table that holds the incident memory, in every tree that has one. */
export { INCIDENTS_TABLE, fixKindsText, resolutionOf, isOpenOutcome } from './incident-words.js';
import { INCIDENTS_TABLE } from './incident-words.js';

export const INCIDENT_OUTCOMES = ['proposed', 'merged', 'rejected', 'failed', 'accepted'] as const;
/**
 * proposed: a fix waits on its heal branch; merged / rejected: the merge queue (or a
 * person) decided; failed: no fix could be offered, or the fix failed its checks in
 * the queue; accepted: a person accepted the new state of the data (`dgit incidents
 * accept`), recorded with who and why. An incident is open until merged or accepted.
 */
export type IncidentOutcome = (typeof INCIDENT_OUTCOMES)[number];

/** One incident, as the JSON of `dgit incidents --json` shows it (snake case, like every dgit JSON document). */
export interface Incident {
  /** Deterministic: from the check and the failing revision (or, for an agent's patch, from the patch). */
  id: string;
  /** The check id; several (comma-separated) when an agent's patch fixed several. Empty when a patch fixed none. */
  check: string;
  table: string;
  /** The check's kind (`not_null`, …), `type` for a column whose type drifted, null when unknown. */
  kind: string | null;
  severity: string | null;
  /** The commit at which the failure was first seen. */
  first_seen: string;
  /** The latest commit at which it was seen failing (first_seen until it fails again while open). */
  last_seen: string;
  /** At how many revisions it was seen failing while open: 1, more when the check failed again before a fix landed. */
  seen: number;
  /** Failing rows at last_seen. */
  failing_count: number;
  /** The first failing rows at last_seen, as the check reported them ({key, value} objects). */
  sample: unknown[];
  /** The branch holding the proposed fix (`heal/<id>`), null when none was offered. */
  fix_branch: string | null;
  /** The strategy of the fix: a built-in one (`fill-default`, `normalize-text+quarantine`, …) or `agent`. */
  strategy: string | null;
  /** Rows of the checked table the fix changes (updated, deleted or moved to quarantine). */
  rows_changed: number | null;
  outcome: IncidentOutcome;
  /** Why: what the fix does, why none was offered, or why it was merged, rejected or failed. */
  reason: string | null;
  /** Rows the fix changes, by what it did: `{"restored": 45, "quarantined": 5}` (restored, normalized, coerced, deduplicated, defaulted, quarantined). */
  fix_kinds: Record<string, number> | null;
  /** fixed: every row put right from evidence or by a lossless rule; contained: some rows only defaulted or quarantined (the check passes, the truth is not back). */
  resolution: 'fixed' | 'contained' | null;
  /** The commit the restored values came from (the last revision where the check passed). */
  evidence: string | null;
  /** `required` when the fix may land only after a person reviewed it (a revert of a partial load's deletes). */
  review: string | null;
  /** Who accepted the new state, when outcome is accepted. */
  accepted_by: string | null;
  /** Earlier fixes of this incident that did not land (rejected, failed in the queue), oldest first: the memory keeps them when a new fix is proposed. */
  earlier_fixes: EarlierFix[];
  /** ISO timestamps (UTC, milliseconds). */
  created_at: string;
  updated_at: string;
}

/** A fix of an incident that did not land, kept when the incident gets a new one. */
export interface EarlierFix {
  fix_branch: string | null;
  strategy: string;
  outcome: IncidentOutcome;
  reason: string | null;
}

/** The earlier fixes of an incident about to get a new fix: its current fix, if any, joins them. */
export function earlierFixesOf(incident: Incident): EarlierFix[] {
  if (incident.strategy === null) return incident.earlier_fixes;
  return [...incident.earlier_fixes, { fix_branch: incident.fix_branch, strategy: incident.strategy, outcome: incident.outcome, reason: incident.reason }];
}

/** The columns of `_dgit_incidents`, in order. */
export const INCIDENT_COLUMNS: ReadonlyArray<{ name: keyof Incident; type: ColumnType; nullable: boolean }> = [
  { name: 'id', type: 'Utf8', nullable: false },
  { name: 'check', type: 'Utf8', nullable: false },
  { name: 'table', type: 'Utf8', nullable: false },
  { name: 'kind', type: 'Utf8', nullable: true },
  { name: 'severity', type: 'Utf8', nullable: true },
  { name: 'first_seen', type: 'Utf8', nullable: false },
  { name: 'failing_count', type: 'Int64', nullable: false },
  { name: 'sample', type: 'Utf8', nullable: false },
  { name: 'fix_branch', type: 'Utf8', nullable: true },
  { name: 'strategy', type: 'Utf8', nullable: true },
  { name: 'rows_changed', type: 'Int64', nullable: true },
  { name: 'outcome', type: 'Utf8', nullable: false },
  { name: 'reason', type: 'Utf8', nullable: true },
  { name: 'created_at', type: 'Timestamp<ms, UTC>', nullable: false },
  { name: 'updated_at', type: 'Timestamp<ms, UTC>', nullable: false },
  // Added later: nullable, so tables written before read them as null.
  { name: 'fix_kinds', type: 'Utf8', nullable: true },
  { name: 'resolution', type: 'Utf8', nullable: true },
  { name: 'evidence', type: 'Utf8', nullable: true },
  { name: 'review', type: 'Utf8', nullable: true },
  { name: 'accepted_by', type: 'Utf8', nullable: true },
  // Added with reopening (a failure of an open incident updates it): null in older tables, read as first_seen, 1 and none.
  { name: 'last_seen', type: 'Utf8', nullable: true },
  { name: 'seen', type: 'Int64', nullable: true },
  { name: 'earlier_fixes', type: 'Utf8', nullable: true },
];

/** The schema of a new `_dgit_incidents` table, keyed by id. */
export function incidentTableSchema(): TableSchema {
  return createTableSchema(
    INCIDENT_COLUMNS.map((c) => ({ name: c.name, type: c.type, nullable: c.nullable })),
    ['id'],
  );
}

/** Most sample entries kept with an incident, and most characters of their JSON. */
export const INCIDENT_SAMPLE_SIZE = 10;
const MAX_SAMPLE_TEXT = 16_000;
const MAX_REASON_TEXT = 4_000;
const MAX_EARLIER_FIXES = 20;

/** An incident as a row of `schema` (a `_dgit_incidents` table, possibly with more columns than today's: those are null). */
export function incidentToRow(incident: Incident, schema: TableSchema): Row {
  const json: Record<string, unknown> = {
    ...incident,
    sample: sampleText(incident.sample),
    reason: incident.reason === null ? null : clip(incident.reason, MAX_REASON_TEXT),
    fix_kinds: incident.fix_kinds === null ? null : JSON.stringify(incident.fix_kinds),
    earlier_fixes: earlierFixesText(incident.earlier_fixes),
  };
  return schema.columns.map((column) => (column.name in json ? fromJsonValue(column.type, json[column.name], `${INCIDENTS_TABLE}.${column.name}`) : null));
}

const StoredIncidentSchema = z.object({
  id: z.string().min(1),
  check: z.string(),
  table: z.string(),
  kind: z.string().nullable().default(null),
  severity: z.string().nullable().default(null),
  first_seen: z.string(),
  failing_count: z.number().int().min(0),
  sample: z.string(),
  fix_branch: z.string().nullable().default(null),
  strategy: z.string().nullable().default(null),
  rows_changed: z.number().int().nullable().default(null),
  outcome: z.enum(INCIDENT_OUTCOMES),
  reason: z.string().nullable().default(null),
  created_at: z.string(),
  updated_at: z.string(),
  fix_kinds: z.string().nullable().default(null),
  resolution: z.enum(['fixed', 'contained']).nullable().default(null),
  evidence: z.string().nullable().default(null),
  review: z.string().nullable().default(null),
  accepted_by: z.string().nullable().default(null),
  last_seen: z.string().nullable().default(null),
  seen: z.number().int().min(1).nullable().default(null),
  earlier_fixes: z.string().nullable().default(null),
});

const EarlierFixesSchema = z.array(
  z.object({ fix_branch: z.string().nullable(), strategy: z.string(), outcome: z.enum(INCIDENT_OUTCOMES), reason: z.string().nullable() }),
);

/** A row of a `_dgit_incidents` table as an incident; a row that does not fit (a table someone else made) is a CorruptError. */
export function rowToIncident(schema: TableSchema, row: readonly Value[], where: string): Incident {
  const json: Record<string, unknown> = {};
  schema.columns.forEach((column, index) => {
    json[column.name] = toJsonValue(column.type, row[index] ?? null);
  });
  const parsed = StoredIncidentSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CorruptError(`${INCIDENTS_TABLE} holds a row that is not an incident (${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'})`, where);
  }
  let sample: unknown[] = [];
  try {
    const value: unknown = JSON.parse(parsed.data.sample);
    if (Array.isArray(value)) sample = value;
  } catch {
    // A sample that is not JSON is shown as empty rather than failing the whole memory.
  }
  let fixKinds: Record<string, number> | null = null;
  try {
    const value: unknown = parsed.data.fix_kinds === null ? null : JSON.parse(parsed.data.fix_kinds);
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) fixKinds = value as Record<string, number>;
  } catch {
    // Unreadable counts are shown as none.
  }
  let earlierFixes: EarlierFix[] = [];
  try {
    const value: unknown = parsed.data.earlier_fixes === null ? [] : JSON.parse(parsed.data.earlier_fixes);
    const fixes = EarlierFixesSchema.safeParse(value);
    if (fixes.success) earlierFixes = fixes.data;
  } catch {
    // Unreadable earlier fixes are shown as none.
  }
  // A row written before reopening existed was seen once, at first_seen.
  return { ...parsed.data, sample, fix_kinds: fixKinds, last_seen: parsed.data.last_seen ?? parsed.data.first_seen, seen: parsed.data.seen ?? 1, earlier_fixes: earlierFixes };
}

function sampleText(sample: unknown[]): string {
  const kept = sample.slice(0, INCIDENT_SAMPLE_SIZE);
  let text = JSON.stringify(kept, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
  // A sample of very wide rows is cut by entries, so what is kept stays valid JSON.
  while (text.length > MAX_SAMPLE_TEXT && kept.length > 0) {
    kept.pop();
    text = JSON.stringify(kept);
  }
  return text;
}

/** The latest earlier fixes as JSON text, reasons clipped, so the cell stays small however often an incident is refixed. */
function earlierFixesText(fixes: readonly EarlierFix[]): string | null {
  if (fixes.length === 0) return null;
  return JSON.stringify(fixes.slice(-MAX_EARLIER_FIXES).map((fix) => ({ ...fix, reason: fix.reason === null ? null : clip(fix.reason, 500) })));
}

function clip(text: string, max: number): string {
  return text.length > max ? text.slice(0, max - 1) + '…' : text;
}

/** A time as the ISO text incidents hold (UTC, milliseconds). */
export function incidentTime(date: Date): string {
  return date.toISOString();
}

/** `now`, or a millisecond after `previous` when the clock (or GIT_COMMITTER_DATE) says otherwise: a new state must be the later one. */
export function laterTime(now: string, previous: string): string {
  const t = Date.parse(now);
  const p = Date.parse(previous);
  return t > p ? now : new Date(p + 1).toISOString();
}

/** How final an outcome is: a decision outranks a proposal made at the same instant. */
export function outcomeRank(outcome: IncidentOutcome): number {
  return outcome === 'proposed' ? 0 : 1;
}

/** The later of two states of one incident: by updated_at, then a decision over a proposal. */
export function laterState(a: Incident, b: Incident): Incident {
  const at = Date.parse(a.updated_at);
  const bt = Date.parse(b.updated_at);
  if (at !== bt) return at > bt ? a : b;
  return outcomeRank(b.outcome) > outcomeRank(a.outcome) ? b : a;
}
