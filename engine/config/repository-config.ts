import fs from 'node:fs';
import path from 'node:path';
import type { Repository } from '../repository/repository.js';
import type { TableSchema } from '../schema/schema.js';
import { writeFileAtomic } from '../store/atomic-file.js';
import { parseTree } from '../store/git-objects.js';
import type { ObjectId } from '../store/object-store.js';
import type { CommitId } from '../store/revision.js';
import { EMPTY_TREE, withRootFile } from '../table/root-tree.js';
import { readTableVersion } from '../table/table-tree.js';
import { ConfigError } from './config-error.js';
import { CONFIG_FILE } from './config-schema.js';
import type { LoadedConfig } from './config-file.js';

/**
 * The YAML reader and the validation (which opens DuckDB) load only when a tree has
 * a dgit.yml: commit and status read this module on every run (issue 13: start cost).
 */
const parseConfig = async (text: string) => (await import('./config-file.js')).parseConfig(text);

/** The text of dgit.yml at the root of a tree, or undefined when the tree has none. */
export async function readConfigText(repository: Repository, tree: ObjectId): Promise<string | undefined> {
  if (tree === EMPTY_TREE) return undefined;
  const entry = parseTree(await repository.store.readTyped(tree, 'tree'), '/').find((e) => e.name === CONFIG_FILE);
  if (!entry || entry.mode === '40000') return undefined;
  if (entry.mode === '120000' || entry.mode === '160000') throw notRegularFile();
  return Buffer.from(await repository.store.readTyped(entry.oid, 'blob')).toString('utf8');
}

/** The dgit.yml of a tree, parsed and structurally valid (ConfigError otherwise), or undefined when there is none. */
export async function readConfig(repository: Repository, tree: ObjectId): Promise<LoadedConfig | undefined> {
  const text = await readConfigText(repository, tree);
  return text === undefined ? undefined : await parseConfig(text);
}

/** The schema of every table of a tree, by name. */
export async function readTableSchemas(repository: Repository, tree: ObjectId): Promise<Map<string, TableSchema>> {
  const schemas = new Map<string, TableSchema>();
  for (const [name, tableTree] of await repository.tableTrees(tree)) schemas.set(name, (await readTableVersion(repository.store, tableTree, name)).schema);
  return schemas;
}

/**
 * Validate `text` as dgit.yml against the tables of the current branch's working
 * set and store it there (committed by the next `dgit commit`), and in the working
 * directory's dgit.yml, which the next commit stages again (see stageWorktreeConfig).
 * On any problem it throws a ConfigError and writes nothing.
 */
export async function writeConfig(repository: Repository, text: string): Promise<LoadedConfig> {
  const loaded = await parseConfig(text);
  const result = await repository.changeWorkingSet(async ({ working, tx }) => {
    const tables = await readTableSchemas(repository, working.tree);
    const { openRevisionSession } = await import('../repository/revision-views.js');
    const { validateConfig } = await import('./config-validation.js');
    // A checked column that drifted to text is the data's problem, which `dgit check` reports as a failing
    // schema check (engine/checks/schema-drift.ts): the checks it blocks are not validated against it here either,
    // or no edit of dgit.yml (the policy heal asks for, say) could be saved while the drift is there.
    const { blockingDrift, detectSchemaDrift } = await import('../checks/schema-drift.js');
    const drifts = await detectSchemaDrift(repository, loaded, tables, working.head as CommitId | undefined);
    const validated = drifts.length === 0 ? loaded : { ...loaded, checks: loaded.checks.filter((check) => blockingDrift(check, drifts) === undefined) };
    const { session, close } = await openRevisionSession(repository, working.tree, { allowExternalAccess: false, only: [] });
    try {
      await session.run('SELECT 1'); // locks the session before any text from the file reaches DuckDB
      await validateConfig(validated, tables, session, 'WORKING');
    } finally {
      await close();
    }
    const tree = await withRootFile(repository.store, tx, working.tree, CONFIG_FILE, Buffer.from(text, 'utf8'));
    return { tree, result: loaded };
  });
  if (!repository.bare) writeFileAtomic(path.join(repository.dir, CONFIG_FILE), text);
  return result;
}

/**
 * Stage dgit.yml from the working directory, as `git add dgit.yml` would: the
 * working set's copy becomes what the file holds now (validated; a ConfigError
 * otherwise, and nothing written). A file put back as HEAD has it un-stages an
 * earlier edit; a file deleted while HEAD or the working set has one stages the
 * deletion. So `dgit status` shows dgit.yml changed exactly when `git status` does.
 * Returns whether the working set changed.
 */
export async function stageWorktreeConfig(repository: Repository): Promise<boolean> {
  if (repository.bare) return false;
  let text: string | undefined;
  const file = path.join(repository.dir, CONFIG_FILE);
  try {
    // Never follow a link: a checkout (a pull request's) whose dgit.yml links to a file outside the
    // repository, or to /proc/self/environ, would have dgit read it and print it in config errors.
    if (!fs.lstatSync(file).isFile()) throw notRegularFile();
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const working = await repository.workingSet();
  const staged = await readConfigText(repository, working.tree);
  if (text === staged) return false;
  const headText = await readConfigText(repository, working.headTree);
  // During a merge the working set holds the merged dgit.yml while the file still mirrors HEAD:
  // only an edit of the file itself (unlike both) is staged then.
  if ((text === undefined || text === headText) && (await repository.mergeInProgress(working.branch))) return false;
  if (text !== undefined) {
    if (text === headText) {
      // Back to HEAD's copy: no validation needed, HEAD's file was valid when committed.
      await setConfigBlob(repository, text);
      return true;
    }
    await writeConfig(repository, text);
    return true;
  }
  await setConfigBlob(repository, undefined);
  return true;
}

/** Put `text` (or no dgit.yml) into the working set without validating it. */
async function setConfigBlob(repository: Repository, text: string | undefined): Promise<void> {
  await repository.changeWorkingSet(async ({ working, tx }) => ({
    tree: await withRootFile(repository.store, tx, working.tree, CONFIG_FILE, text === undefined ? undefined : Buffer.from(text, 'utf8')),
    result: undefined,
  }));
}

/** Whether dgit.yml differs between two root trees (for `dgit status`). */
export async function configChange(repository: Repository, from: ObjectId, to: ObjectId): Promise<'added' | 'deleted' | 'modified' | undefined> {
  const before = await readConfigText(repository, from);
  const after = await readConfigText(repository, to);
  if (before === after) return undefined;
  return before === undefined ? 'added' : after === undefined ? 'deleted' : 'modified';
}

/** dgit.yml as a symbolic link (or a submodule): refused, never followed. */
function notRegularFile(): ConfigError {
  return new ConfigError([{ file: CONFIG_FILE, line: 1, column: 1, path: '', message: 'dgit.yml is not a regular file (a symbolic link?); dgit reads dgit.yml only as a file of its own and never follows a link' }]);
}
