import { renderDiffMarkdown } from '../../formats/diff/index.js';
import { loadSyncApi, ConfigError, diffRevisions, diffTreeStats, mergeBase, parseTree, runChecks, type CheckReport, type CommitId, type ConfigIssue, type DiffStat, type ObjectId, type Repository } from '../../engine/index.js';

const { CONFIG_FILE, EMPTY_TREE, TABLES_DIR } = await loadSyncApi();

/** The checks of a revision: a report, or the problems of a dgit.yml that cannot run. */
export type CheckOutcome = { kind: 'report'; report: CheckReport } | { kind: 'invalid-config'; issues: ConfigIssue[] };

/** One changed table: its row counts and schema changes. */
export type TableChange = { table: string } & DiffStat;

/** A schema change, to annotate on `tables/<table>/schema.json`. */
export interface SchemaNote {
  table: string;
  /** The schema.json line of the column concerned (1 when there is none, e.g. a dropped column). */
  line: number;
  message: string;
}

/** Everything the bot says about the data of a change: checks at the head, diff from the base. */
export interface DataReview {
  /** What the diff starts from: the merge base of the pull request (as GitHub's own diff). */
  base: CommitId;
  head: CommitId;
  checks: CheckOutcome;
  tables: TableChange[];
  schemaNotes: SchemaNote[];
  /** The data diff in GitHub Markdown, within `budget` characters. */
  diffMarkdown: (budget: number) => Promise<string>;
}

/** The commit a pull request's diff starts from: the merge base of its base and head (GitHub's three-dot diff). */
export async function diffBase(repository: Repository, base: CommitId, head: CommitId): Promise<CommitId> {
  return (await mergeBase(repository, base, head)) ?? base;
}

/** Whether `head` changes the data against `base`: anything under `tables/`, or `dgit.yml`. */
export async function touchesData(repository: Repository, base: CommitId, head: CommitId): Promise<boolean> {
  const before = await dataEntries(repository, (await repository.readCommit(base)).tree);
  const after = await dataEntries(repository, (await repository.readCommit(head)).tree);
  return before.tables !== after.tables || before.config !== after.config;
}

async function dataEntries(repository: Repository, tree: ObjectId): Promise<{ tables?: string; config?: string }> {
  if (tree === EMPTY_TREE) return {};
  const entries = parseTree(await repository.store.readTyped(tree, 'tree'), '/');
  return { tables: entries.find((e) => e.name === TABLES_DIR)?.oid, config: entries.find((e) => e.name === CONFIG_FILE)?.oid };
}

/** Run the checks of dgit.yml at `commit`; an invalid dgit.yml is an outcome, not an error. */
export async function checkRevision(repository: Repository, commit: CommitId): Promise<CheckOutcome> {
  try {
    return { kind: 'report', report: await runChecks(repository, commit) };
  } catch (error) {
    if (error instanceof ConfigError) return { kind: 'invalid-config', issues: error.issues };
    throw error;
  }
}

/** Check `head` and diff it against `base` (already a merge base, when it is a pull request's). */
export async function reviewData(repository: Repository, base: CommitId, head: CommitId): Promise<DataReview> {
  const checks = await checkRevision(repository, head);
  const baseTree = (await repository.readCommit(base)).tree;
  const headTree = (await repository.readCommit(head)).tree;
  const tables = await diffTreeStats(repository, baseTree, headTree);
  const schemaNotes = await schemaNotesOf(repository, headTree, tables);
  return {
    base,
    head,
    checks,
    tables,
    schemaNotes,
    diffMarkdown: async (budget) => renderDiffMarkdown(await diffRevisions(repository, base, head), { budget }),
  };
}

/** Where each schema change sits in the head's schema.json: the line naming the column. */
async function schemaNotesOf(repository: Repository, headTree: ObjectId, tables: TableChange[]): Promise<SchemaNote[]> {
  const notes: SchemaNote[] = [];
  const tableTrees = await repository.tableTrees(headTree);
  for (const change of tables) {
    const tree = tableTrees.get(change.table);
    if (change.status === 'deleted' || !tree) continue;
    const lines = (await schemaText(repository, tree)).split('\n');
    const lineOf = (pattern: string) => {
      const index = lines.findIndex((line) => line.includes(pattern));
      return index < 0 ? 1 : index + 1;
    };
    const columnLine = (name: string) => lineOf(`"name": ${JSON.stringify(name)}`);
    const note = (line: number, message: string) => notes.push({ table: change.table, line, message });
    if (change.status === 'added') {
      note(1, `New table ${change.table} with ${change.schema.added.length} columns and ${change.summary.added} rows.`);
      continue;
    }
    const schema = change.schema;
    for (const column of schema.added) note(columnLine(column.name), `Column ${column.name} (${column.type}) added.`);
    for (const column of schema.dropped) note(1, `Column ${column.name} (${column.type}) dropped.`);
    for (const column of schema.changed) {
      const parts: string[] = [];
      if (column.previousName !== undefined) parts.push(`renamed from ${column.previousName}`);
      if (column.type) parts.push(`type ${column.type.from} → ${column.type.to}`);
      if (column.nullable) parts.push(column.nullable.to ? 'now nullable' : 'now not null');
      note(columnLine(column.name), `Column ${column.name}: ${parts.join(', ')}.`);
    }
    if (schema.primaryKey) {
      const names = (key: string[]) => (key.length ? key.join(', ') : '(none: keyless)');
      note(lineOf('"primaryKey"'), `Primary key changed: ${names(schema.primaryKey.from)} → ${names(schema.primaryKey.to)}.`);
    }
  }
  return notes;
}

async function schemaText(repository: Repository, tableTree: ObjectId): Promise<string> {
  const entry = parseTree(await repository.store.readTyped(tableTree, 'tree'), TABLES_DIR).find((e) => e.name === 'schema.json');
  return entry ? Buffer.from(await repository.store.readTyped(entry.oid, 'blob')).toString('utf8') : '';
}
