import fs from 'node:fs';
import path from 'node:path';
import type { Repository } from '../repository/repository.js';
import { openRevisionSession } from '../repository/revision-views.js';
import type { TableSchema } from '../schema/schema.js';
import { parseTree } from '../store/git-objects.js';
import type { ObjectId } from '../store/object-store.js';
import { EMPTY_TREE, withRootFile } from '../table/root-tree.js';
import { readTableVersion } from '../table/table-tree.js';
import { CONFIG_FILE } from './config-schema.js';
import { parseConfig, type LoadedConfig } from './config-file.js';
import { validateConfig } from './config-validation.js';

/** The text of dgit.yml at the root of a tree, or undefined when the tree has none. */
export async function readConfigText(repository: Repository, tree: ObjectId): Promise<string | undefined> {
  if (tree === EMPTY_TREE) return undefined;
  const entry = parseTree(await repository.store.readTyped(tree, 'tree'), '/').find((e) => e.name === CONFIG_FILE);
  if (!entry || entry.mode === '40000') return undefined;
  return Buffer.from(await repository.store.readTyped(entry.oid, 'blob')).toString('utf8');
}

/** The dgit.yml of a tree, parsed and structurally valid (ConfigError otherwise), or undefined when there is none. */
export async function readConfig(repository: Repository, tree: ObjectId): Promise<LoadedConfig | undefined> {
  const text = await readConfigText(repository, tree);
  return text === undefined ? undefined : parseConfig(text);
}

/** The schema of every table of a tree, by name. */
export async function readTableSchemas(repository: Repository, tree: ObjectId): Promise<Map<string, TableSchema>> {
  const schemas = new Map<string, TableSchema>();
  for (const [name, tableTree] of await repository.tableTrees(tree)) schemas.set(name, (await readTableVersion(repository.store, tableTree, name)).schema);
  return schemas;
}

/**
 * Validate `text` as dgit.yml against the tables of the current branch's working
 * set and store it there (committed by the next `dgit commit`). On any problem it
 * throws a ConfigError and writes nothing.
 */
export async function writeConfig(repository: Repository, text: string): Promise<LoadedConfig> {
  const loaded = parseConfig(text);
  return repository.changeWorkingSet(async ({ working, tx }) => {
    const tables = await readTableSchemas(repository, working.tree);
    const { session, close } = await openRevisionSession(repository, working.tree, { allowExternalAccess: false, only: [] });
    try {
      await session.run('SELECT 1'); // locks the session before any text from the file reaches DuckDB
      await validateConfig(loaded, tables, session, 'WORKING');
    } finally {
      await close();
    }
    const tree = await withRootFile(repository.store, tx, working.tree, CONFIG_FILE, Buffer.from(text, 'utf8'));
    return { tree, result: loaded };
  });
}

/**
 * Stage a dgit.yml the user edited in the working directory. The working directory
 * mirrors HEAD, so a file that differs from HEAD's copy and from the working set's
 * is an edit: it is validated and stored in the working set, as `git add` would.
 * Returns whether it staged anything; an invalid file throws a ConfigError.
 */
export async function stageWorktreeConfig(repository: Repository): Promise<boolean> {
  if (repository.bare) return false;
  let text: string;
  try {
    text = fs.readFileSync(path.join(repository.dir, CONFIG_FILE), 'utf8');
  } catch {
    return false;
  }
  const working = await repository.workingSet();
  if (text === (await readConfigText(repository, working.tree))) return false;
  if (text === (await readConfigText(repository, working.headTree))) return false;
  await writeConfig(repository, text);
  return true;
}
