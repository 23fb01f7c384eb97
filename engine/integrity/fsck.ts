import fs from 'node:fs';
import { filesUnder } from '../store/files-under.js';
import path from 'node:path';
import { DgitError } from '../errors/index.js';
import type { Repository } from '../repository/repository.js';
import { hashObject, type ObjectId } from '../store/object-store.js';
import type { CommitId } from '../store/revision.js';
import { mergeStateRef } from '../workingset/state-commit.js';
import { verifyTables } from './table-integrity.js';

/** One thing wrong with what dgit relies on, with the way to recover. */
export interface FsckProblem {
  /** The ref, state or path concerned. */
  where: string;
  problem: string;
  recovery: string;
}

export interface FsckReport {
  ok: boolean;
  /** What was verified, for people: counts by kind. */
  checked: { branches: number; workingSets: number; merges: number; cacheFiles: number; chunksDecoded: boolean };
  problems: FsckProblem[];
}

/**
 * `dgit fsck`: verify everything dgit relies on beyond git's own objects. Every
 * branch head, working set and merge in progress must resolve, with every object
 * it names stored; every table of a branch head and working set must be what
 * dgit writes (manifests in key order, chunks where the manifest says, no file it
 * does not list); the chunk-file cache must hold what its names promise. With
 * `full`, every chunk of every branch head and working set is decoded and matched
 * against its manifest entry; without, chunks are only checked to be present.
 * Nothing is changed.
 */
export async function fsck(repository: Repository, options: { full?: boolean } = {}): Promise<FsckReport> {
  const problems: FsckProblem[] = [];
  const checked = { branches: 0, workingSets: 0, merges: 0, cacheFiles: 0, chunksDecoded: options.full === true };
  const shallow = fs.existsSync(path.join(repository.gitdir, 'shallow'));

  for (const branch of await repository.refs.listBranches()) {
    checked.branches++;
    const ref = `refs/heads/${branch}`;
    const head = (await repository.refs.resolve(ref)) as CommitId | undefined;
    if (!head) continue;
    const tree = await commitTree(repository, head, ref, problems, shallow);
    if (tree) await tablesOf(repository, tree, ref, options.full === true, problems, `dgit reset --hard <good commit>\` on ${branch}, or restore the objects from a clone (\`git fetch\`)`);
  }

  for (const ref of await listRefs(repository, 'refs/dgit/working')) {
    checked.workingSets++;
    const branch = ref.slice('refs/dgit/working/'.length);
    const recovery = `\`dgit switch ${branch}\` then \`dgit reset --hard\` drops the uncommitted changes of ${branch}`;
    const state = await repository.workingSets.read(branch).catch((error: unknown) => problemOf(error, ref, recovery, problems));
    if (!state) continue;
    if (!(await repository.store.has(state.tree))) {
      problems.push({ where: ref, problem: `the working tree ${state.tree} is missing`, recovery });
      continue;
    }
    if (state.base && !(await repository.store.has(state.base))) problems.push({ where: ref, problem: `the commit the changes were made on (${state.base}) is missing`, recovery });
    await tablesOf(repository, state.tree, ref, options.full === true, problems, recovery);
  }
  for (const file of legacyStateFiles(path.join(repository.gitdir, 'dgit', 'working'))) {
    const branch = file.slice(0, -'.json'.length);
    checked.workingSets++;
    const recovery = `\`dgit switch ${branch}\` then \`dgit reset --hard\` drops the uncommitted changes of ${branch}`;
    const state = await repository.workingSets.read(branch).catch((error: unknown) => problemOf(error, `.git/dgit/working/${file}`, recovery, problems));
    if (state && !(await repository.store.has(state.tree)))
      problems.push({ where: `.git/dgit/working/${file}`, problem: `the working tree ${state.tree} is missing (lost to a git gc before dgit kept working sets under refs/dgit/)`, recovery });
  }

  const mergeBranches = new Set([
    ...(await listRefs(repository, 'refs/dgit/merge')).map((ref) => ref.slice('refs/dgit/merge/'.length)),
    ...legacyStateFiles(path.join(repository.gitdir, 'dgit', 'merge')).map((file) => file.slice(0, -'.json'.length)),
  ]);
  for (const branch of mergeBranches) {
    checked.merges++;
    const where = mergeStateRef(branch);
    const recovery = `\`dgit switch ${branch}\` then \`dgit merge --abort\` (or \`dgit reset --hard\`)`;
    const state = await repository.merges.read(branch).catch((error: unknown) => problemOf(error, where, recovery, problems));
    if (!state) continue;
    for (const [name, id] of [['ours', state.ours], ['theirs', state.theirs], ['base', state.base], ['the working tree before the merge', state.before?.tree]] as const) {
      if (id && !(await repository.store.has(id as ObjectId))) problems.push({ where, problem: `${name} (${id}) is missing`, recovery });
    }
  }

  checked.cacheFiles = verifyChunkCache(repository, problems, options.full === true);
  if (shallow)
    problems.push({
      where: '.git/shallow',
      problem: 'this is a shallow clone: history before the shallow boundary is not here (not an error; log and diff stop there)',
      recovery: '`git fetch --unshallow` fetches the whole history',
    });
  const real = problems.filter((p) => p.where !== '.git/shallow');
  return { ok: real.length === 0, checked, problems };
}

async function commitTree(repository: Repository, commit: CommitId, where: string, problems: FsckProblem[], shallow: boolean): Promise<ObjectId | undefined> {
  try {
    return (await repository.readCommit(commit)).tree;
  } catch (error) {
    if (!(error instanceof DgitError)) throw error;
    problems.push({
      where,
      problem: `commit ${commit} cannot be read: ${error.message}`,
      recovery: shallow ? '`git fetch --unshallow`, or `git fetch` the missing objects from the remote' : '`git fetch` the missing objects from a remote that has them',
    });
    return undefined;
  }
}

async function tablesOf(repository: Repository, tree: ObjectId, where: string, full: boolean, problems: FsckProblem[], recovery: string): Promise<void> {
  try {
    for (const problem of await verifyTables(repository.store, tree, { full, objectsPresent: true }))
      problems.push({ where: `${where}: ${problem.path}`, problem: problem.problem, recovery: `the data was not written by dgit; ${recovery}` });
  } catch (error) {
    if (!(error instanceof DgitError)) throw error;
    problems.push({ where, problem: `an object of its tables cannot be read: ${error.message}`, recovery });
  }
}

function problemOf(error: unknown, where: string, recovery: string, problems: FsckProblem[]): undefined {
  if (!(error instanceof DgitError)) throw error;
  problems.push({ where, problem: error.message, recovery });
  return undefined;
}

/** Refs under `prefix`, loose or packed (after `git pack-refs`). */
async function listRefs(repository: Repository, prefix: string): Promise<string[]> {
  const out = new Set<string>();
  for (const file of filesUnder(path.join(repository.gitdir, ...prefix.split('/')))) if (!file.endsWith('.lock')) out.add(`${prefix}/${file}`);
  try {
    for (const line of fs.readFileSync(path.join(repository.gitdir, 'packed-refs'), 'utf8').split('\n')) {
      const ref = line.split(' ')[1];
      if (ref?.startsWith(`${prefix}/`)) out.add(ref);
    }
  } catch {
    // No packed refs.
  }
  const refs: string[] = [];
  for (const ref of [...out].sort()) if (await repository.refs.resolve(ref)) refs.push(ref);
  return refs;
}

function legacyStateFiles(dir: string): string[] {
  return filesUnder(dir).filter((file) => file.endsWith('.json'));
}

/** The chunk-file cache: each file must hash to the blob id it is named after (full), or at least exist whole. */
function verifyChunkCache(repository: Repository, problems: FsckProblem[], full: boolean): number {
  const dir = path.join(repository.gitdir, 'dgit', 'cache', 'chunks');
  let count = 0;
  for (const file of filesUnder(dir)) {
    const id = /^[0-9a-f]{2}\/([0-9a-f]{40})\.parquet$/.exec(file)?.[1];
    if (!id) continue;
    count++;
    if (!full) continue;
    if (hashObject('blob', fs.readFileSync(path.join(dir, file))) !== id)
      problems.push({ where: `.git/dgit/cache/chunks/${file}`, problem: 'the cached chunk file is damaged (its bytes are not the chunk)', recovery: 'none needed: dgit verifies cached files before use and rebuilds them; deleting .git/dgit/cache is always safe' });
  }
  return count;
}
