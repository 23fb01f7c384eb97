import { commit } from '../../../engine/commands/commit.js';
import { runSql } from '../../../engine/commands/sql.js';
import { Repository } from '../../../engine/repository/repository.js';
import { clone } from '../../../engine/remote/index.js';

/**
 * Set-up steps run inside the test process (each CLI run costs a Node start):
 * the behaviours under test still go through the CLI.
 */

/** Clone `url` into `dir` with the engine, as a user's earlier `dgit clone` would have. */
export async function cloneWithEngine(url: string, dir: string, token: string): Promise<string> {
  return (await clone(url, dir, { token })).dir;
}

/** Run one SQL edit in the working set of `dir` and commit it. */
export async function editAndCommit(dir: string, sql: string, message: string): Promise<void> {
  const repository = await Repository.open(dir);
  await runSql(repository, sql);
  await commit(repository, { message, author: { name: 'Test', email: 'test@example.com' } });
}

/** The rows a query returns in `dir`'s working set. */
export async function queryRows(dir: string, query = 'SELECT * FROM t ORDER BY id'): Promise<Array<Record<string, unknown>>> {
  const result = await runSql(await Repository.open(dir), query);
  if (result.kind !== 'rows') throw new Error(`not a query: ${query}`);
  return result.rows;
}
