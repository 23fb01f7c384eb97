import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { InvalidInputError } from '../errors/index.js';
import { canonicalJson } from '../value/canonical-json.js';

/**
 * The fix patch: row edits to one table, each with the reason for it. The one
 * format the healer's strategies, `dgit propose`, the MCP server and the GitHub
 * bot all hand to the same path (policy, apply, re-check, heal branch).
 *
 * JSON:
 *   { "table": "penguins", "incident": "…", "checks": ["penguins.Sex.not_null"],
 *     "edits": [ { "op": "update", "key": {"id": 9}, "set": {"Sex": "FEMALE"}, "reason": "…" }, … ] }
 * or NDJSON, one edit a line, each line carrying "table" (and, optionally, the
 * same "incident" and "checks"):
 *   {"table": "penguins", "op": "quarantine", "key": {"id": 4}, "reason": "…"}
 *
 * Edits (values in the JSON form of `dgit diff --json`: Int64 may be a string,
 * dates and timestamps are ISO text, bytes base64):
 * - upsert: `row` names every column; inserts the row, or replaces the row of its key.
 * - update: `key` names a row, `set` the new values of some of its cells (not key cells).
 * - delete: removes the row of `key`.
 * - quarantine: moves the row of `key` into `<table>__quarantine`, with the reason.
 * In a keyless table the key is the whole row, and each edit acts on one copy.
 */

export const PATCH_OPS = ['upsert', 'update', 'delete', 'quarantine'] as const;
export type PatchOp = (typeof PATCH_OPS)[number];

/** Larger patch files are refused: a fix is a few rows, not a reload. */
export const MAX_PATCH_BYTES = 64 * 1024 * 1024;
export const MAX_REASON = 2000;

const JsonObject = z.record(z.string(), z.unknown(), { error: 'expected an object of column names and values' });
const Reason = z
  .string({ error: 'every edit needs a reason: a non-empty text saying why' })
  .trim()
  .min(1, { error: 'every edit needs a reason: a non-empty text saying why' })
  .max(MAX_REASON, { error: `a reason is at most ${MAX_REASON} characters` });

const editShapes = {
  upsert: { op: z.literal('upsert'), row: JsonObject, reason: Reason },
  update: {
    op: z.literal('update'),
    key: JsonObject,
    set: JsonObject.refine((value) => Object.keys(value).length > 0, { error: 'set names no column' }),
    reason: Reason,
  },
  delete: { op: z.literal('delete'), key: JsonObject, reason: Reason },
  quarantine: { op: z.literal('quarantine'), key: JsonObject, reason: Reason },
};
const OP_ERROR = { error: `op must be one of ${PATCH_OPS.join(', ')}` };

export const PatchEditSchema = z.discriminatedUnion(
  'op',
  [z.strictObject(editShapes.upsert), z.strictObject(editShapes.update), z.strictObject(editShapes.delete), z.strictObject(editShapes.quarantine)],
  OP_ERROR,
);
export type PatchEdit = z.infer<typeof PatchEditSchema>;

const TableName = z.string({ error: 'expected the name of the table the patch changes' }).min(1);
const IncidentId = z.string().min(1).max(200).optional().describe('the incident the patch fixes, when it fixes a known one');
const CheckIds = z.array(z.string().min(1)).min(1).optional().describe('the checks the patch makes pass');

export const FixPatchSchema = z.strictObject({
  table: TableName,
  incident: IncidentId,
  checks: CheckIds,
  edits: z.array(PatchEditSchema).min(1, { error: 'the patch has no edits' }),
});
export type FixPatch = z.infer<typeof FixPatchSchema>;

const lineFields = { table: TableName, incident: IncidentId, checks: CheckIds };
const PatchLineSchema = z.discriminatedUnion(
  'op',
  [
    z.strictObject({ ...lineFields, ...editShapes.upsert }),
    z.strictObject({ ...lineFields, ...editShapes.update }),
    z.strictObject({ ...lineFields, ...editShapes.delete }),
    z.strictObject({ ...lineFields, ...editShapes.quarantine }),
  ],
  OP_ERROR,
);

/** A patch read from a file: the patch, and where each edit was written (`line 4`, `edits[3]`), for errors. */
export interface ParsedPatch {
  patch: FixPatch;
  locations: string[];
  format: 'json' | 'ndjson';
}

/** A patch that cannot be read or does not fit the table: names the file and the edit. */
export class PatchError extends InvalidInputError {
  constructor(message: string, where: string) {
    super(message, where);
    this.name = 'PatchError';
  }
}

/** Where the edit at `index` of a patch was written. */
export function editLocation(parsed: { locations: readonly string[] }, index: number): string {
  return parsed.locations[index] ?? `edits[${index}]`;
}

/**
 * Read a patch file's text: the JSON form, or NDJSON with one edit a line. Every
 * problem is a PatchError naming the line or the edit; values are checked against
 * the table later (`resolvePatch`), when the table is known.
 */
export function parsePatch(text: string, source = 'patch'): ParsedPatch {
  if (Buffer.byteLength(text, 'utf8') > MAX_PATCH_BYTES) throw new PatchError(`the patch is larger than ${MAX_PATCH_BYTES / 1024 / 1024} MB`, source);
  const body = text.replace(/^\uFEFF/, '');
  const lines = body.split(/\r?\n/);
  const filled = lines.map((line, index) => ({ line, number: index + 1 })).filter((entry) => entry.line.trim() !== '');
  if (filled.length === 0) throw new PatchError('the patch is empty', source);
  // NDJSON when the first line is a whole JSON object of its own and more lines follow (or it is one edit).
  const first = tryJson(filled[0]!.line);
  const ndjson = first.ok && isObject(first.value) && ('op' in first.value || filled.length > 1) && !('edits' in first.value);
  if (ndjson) return parseLines(filled, source);

  const whole = tryJson(body);
  if (!whole.ok) throw new PatchError(`not valid JSON: ${jsonProblem(whole.error, body)}`, source);
  const parsed = FixPatchSchema.safeParse(whole.value);
  if (!parsed.success) throw new PatchError(describeIssue(parsed.error.issues[0]!, (index) => `edit ${index + 1} (edits[${index}])`), source);
  return { patch: parsed.data, locations: parsed.data.edits.map((_, index) => `edit ${index + 1} (edits[${index}])`), format: 'json' };
}

function parseLines(filled: Array<{ line: string; number: number }>, source: string): ParsedPatch {
  const edits: PatchEdit[] = [];
  const locations: string[] = [];
  let header: { table: string; incident?: string; checks?: string[]; line: number } | undefined;
  for (const { line, number } of filled) {
    const where = `line ${number}`;
    const json = tryJson(line);
    if (!json.ok) throw new PatchError(`${where}: not valid JSON: ${jsonProblem(json.error, line)}`, source);
    const parsed = PatchLineSchema.safeParse(json.value);
    if (!parsed.success) throw new PatchError(describeIssue(parsed.error.issues[0]!, () => where, where), source);
    const { table, incident, checks, ...edit } = parsed.data;
    if (!header) header = { table, incident, checks, line: number };
    else {
      if (table !== header.table) throw new PatchError(`${where}: a patch changes one table; line ${header.line} says ${JSON.stringify(header.table)}, this line ${JSON.stringify(table)}`, source);
      if (incident !== undefined && incident !== header.incident) throw new PatchError(`${where}: "incident" differs from line ${header.line}'s`, source);
      if (checks !== undefined && JSON.stringify(checks) !== JSON.stringify(header.checks)) throw new PatchError(`${where}: "checks" differs from line ${header.line}'s`, source);
    }
    edits.push(edit as PatchEdit);
    locations.push(where);
  }
  const patch: FixPatch = { table: header!.table, edits };
  if (header!.incident !== undefined) patch.incident = header!.incident;
  if (header!.checks !== undefined) patch.checks = header!.checks;
  return { patch, locations, format: 'ndjson' };
}

/** A patch made in code (by a strategy), validated like a file's. */
export function checkPatch(value: unknown, source = 'patch'): ParsedPatch {
  const parsed = FixPatchSchema.safeParse(value);
  if (!parsed.success) throw new PatchError(describeIssue(parsed.error.issues[0]!, (index) => `edit ${index + 1} (edits[${index}])`), source);
  return { patch: parsed.data, locations: parsed.data.edits.map((_, index) => `edit ${index + 1} (edits[${index}])`), format: 'json' };
}

/** The canonical text of a patch: equal patches give equal text (for deterministic incident ids). */
export function canonicalPatchText(patch: FixPatch): string {
  return canonicalJson({ table: patch.table, incident: patch.incident, checks: patch.checks, edits: patch.edits });
}

/** One zod issue as a sentence naming the edit: `edit 3 (edits[2]): reason: every edit needs a reason`. */
function describeIssue(issue: z.core.$ZodIssue, editWhere: (index: number) => string, lineWhere?: string): string {
  const path = [...issue.path];
  let prefix = lineWhere ?? '';
  if (!lineWhere && path[0] === 'edits' && typeof path[1] === 'number') {
    prefix = editWhere(path[1]);
    path.splice(0, 2);
  }
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') message = `unknown field${issue.keys.length === 1 ? '' : 's'} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
  else if (issue.code === 'invalid_type' && issue.input === undefined && path.length > 0 && !/reason/.test(message)) message = 'missing';
  const field = path.length > 0 ? `${path.join('.')}: ` : '';
  return prefix ? `${prefix}: ${field}${message}` : `${field}${message}`;
}

type JsonAttempt = { ok: true; value: unknown } | { ok: false; error: unknown };

function tryJson(text: string): JsonAttempt {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, error };
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** JSON.parse's complaint, with the line and column (from its position, else from the YAML parser, which reads JSON and says where it breaks). */
function jsonProblem(error: unknown, text: string): string {
  const message = error instanceof Error ? error.message : String(error);
  const position = /position (\d+)/.exec(message);
  const short = message.replace(/ in JSON at position \d+[\s\S]*$/, '').replace(/, (\.\.\.)?"[\s\S]*" is not valid JSON$/, '').slice(0, 200);
  if (position) {
    const offset = Number(position[1]);
    const before = text.slice(0, offset);
    return `${short} at line ${before.split('\n').length}, column ${offset - before.lastIndexOf('\n')}`;
  }
  const lineCounter = new LineCounter();
  const found = parseDocument(text, { lineCounter, prettyErrors: false }).errors[0];
  if (!found) return short;
  const at = found.linePos?.[0] ?? lineCounter.linePos(found.pos[0]);
  return `${short} at line ${at.line}, column ${at.col}`;
}
